"""Dependency aliases for the routes (one place, typed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.gateway.state import GatewayState

__all__ = ["StateDep"]


def get_state(request: Request) -> GatewayState:
    state: GatewayState = request.app.state.gw
    return state


StateDep = Annotated[GatewayState, Depends(get_state)]
