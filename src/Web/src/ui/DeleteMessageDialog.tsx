import { useId, useState } from 'react';
import { describeError, parseHubError } from '../protocol/errors';
import type { MessageDto } from '../protocol/types';
import { ModerationReasonMax, moderationReason } from '../state/moderation';
import { useChat } from './context';
import { Dialog } from './Dialog';
import { Field, FormError } from './Field';
import { quoteOf } from './Message';

/**
 * Asks before deleting a message; deleting someone else's (a moderator, with manageMessages) asks for a reason too,
 * which the audit log keeps. It closes once the server has deleted it.
 */
export function DeleteMessageDialog({ message, mine, onClose }: { message: MessageDto; mine: boolean; onClose: () => void }) {
  const { client } = useChat();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const errorId = useId();

  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await client.deleteMessage(message.channelId, message.id, mine ? null : moderationReason(reason));
      onClose();
    } catch (e) {
      setError(describeError(parseHubError(e)));
      setBusy(false);
    }
  };

  return (
    <Dialog title="Delete message" onClose={onClose}>
      <form
        className="dialog-section join-form"
        onSubmit={(e) => {
          e.preventDefault();
          void remove();
        }}
      >
        <p>{mine ? 'Delete this message? It cannot be undone.' : `Delete this message from ${message.authorName}? It cannot be undone.`}</p>
        <blockquote className="delete-quote">{quoteOf(message)}</blockquote>
        {!mine && (
          <Field label="Reason (kept in the audit log)" value={reason} onChange={setReason} maxLength={ModerationReasonMax} autoComplete="off" disabled={busy}
            {...(error ? { 'aria-invalid': true, 'aria-describedby': errorId } : {})} />
        )}
        <FormError id={errorId}>{error}</FormError>
        <div className="dialog-buttons">
          <button type="button" className="link-button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="primary danger-button" disabled={busy}>
            Delete
          </button>
        </div>
      </form>
    </Dialog>
  );
}
