"""The Douyin protobuf schema (``douyin.proto``) and its generated module ``douyin_pb2`` (import it directly).

Nothing is imported here so that ``regen`` still runs when the generated module is missing or stale.
"""
