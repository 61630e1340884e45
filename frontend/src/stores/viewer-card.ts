import { create } from 'zustand';

/** Which viewer's card is open (one at a time); any name in the UI opens it. */
interface ViewerCardState {
  userId: string | null;
  nickname: string;
  open(userId: string, nickname?: string): void;
  close(): void;
}

export const useViewerCard = create<ViewerCardState>((set) => ({
  userId: null,
  nickname: '',
  open: (userId, nickname = '') => set({ userId, nickname }),
  close: () => set({ userId: null, nickname: '' }),
}));

/** Masked viewers (no id of their own, or the platform's shared placeholder) have no card. */
export function hasCard(user: { id?: string; masked?: boolean } | null | undefined): user is { id: string } {
  return Boolean(user && user.id && !user.masked && user.id !== '111111');
}
