import { FormError } from '../Field';

/** The end of a settings form: its refusal, "Saved." once done, and the submit button. */
export function SaveRow({ action, saved, label }: { action: { busy: boolean; error: string | null; errorId: string }; saved: boolean; label: string }) {
  return (
    <>
      <FormError id={action.errorId}>{action.error}</FormError>
      {saved && <p role="status">Saved.</p>}
      <button type="submit" className="primary" disabled={action.busy}>
        {label}
      </button>
    </>
  );
}
