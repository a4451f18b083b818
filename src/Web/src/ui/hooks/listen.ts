type Listener = [target: EventTarget, type: string, handler: (event: never) => void];

/** Adds event listeners; returns what removes them again. */
export function listenAll(listeners: Listener[]): () => void {
  for (const [target, type, handler] of listeners) target.addEventListener(type, handler as EventListener);
  return () => {
    for (const [target, type, handler] of listeners) target.removeEventListener(type, handler as EventListener);
  };
}
