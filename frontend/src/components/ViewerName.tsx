import { useViewerCard, hasCard } from '@/stores/viewer-card';

/** A viewer's name that opens their card; a masked viewer's name stays plain text. */
export function ViewerName({ user, className = '', title }: {
  user: { id?: string; nickname?: string; masked?: boolean } | null | undefined;
  className?: string;
  title?: string;
}) {
  const name = user?.nickname ?? '';
  if (!hasCard(user)) return <span className={className} title={title} data-masked={user?.masked ? 'true' : undefined}>{name}</span>;
  return (
    <button
      type="button"
      className={`${className} cursor-pointer text-left hover:underline focus:underline focus:outline-none`}
      title={title}
      data-testid="viewer-name"
      onClick={() => useViewerCard.getState().open(user.id, name)}
    >
      {name}
    </button>
  );
}
