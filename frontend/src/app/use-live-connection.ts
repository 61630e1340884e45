import { useEffect, useRef } from 'react';
import { LiveSocket, type WebSocketFactory } from '@/lib/ws-client';
import { useAppStore } from '@/stores/app-store';

/**
 * Keeps the one WebSocket open while a token is known, following the monitored session
 * (`?session_id=`) so a reconnect resumes that session's stream.
 */
export function useLiveConnection(createSocket?: WebSocketFactory): void {
  const token = useAppStore((s) => s.token);
  const gatewayUrl = useAppStore((s) => s.gatewayUrl);
  const sessionId = useAppStore((s) => s.sessionId);
  const socketRef = useRef<LiveSocket | null>(null);

  useEffect(() => {
    const socket = new LiveSocket({
      getBaseUrl: () => useAppStore.getState().gatewayUrl,
      getToken: () => useAppStore.getState().token,
      onEvents: (events) => useAppStore.getState().ingest(events),
      onStatus: (status) => useAppStore.getState().setWsStatus(status),
      ...(createSocket ? { createSocket } : {}),
    });
    socketRef.current = socket;
    return () => {
      socket.close();
      socketRef.current = null;
    };
  }, [createSocket]);

  useEffect(() => {
    const socket = socketRef.current;
    if (!socket) return;
    if (!token) {
      socket.close();
      return;
    }
    if (socket.current.state === 'unauthorized' || socket.current.state === 'closed') socket.connect(sessionId);
    else if (socket.session !== sessionId || socket.current.state === 'idle') socket.connect(sessionId);
    else socket.reconnectNow();
  }, [token, gatewayUrl, sessionId]);
}
