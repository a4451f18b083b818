import { useEffect, useRef } from 'react';
import { useChat } from './context';

/** The microphone's input level, read from an AnalyserNode on every animation frame while in voice. */
export function LevelMeter({ active }: { active: boolean }) {
  const { microphone } = useChat();
  const meter = useRef<HTMLMeterElement>(null);

  useEffect(() => {
    if (!active) {
      if (meter.current) meter.current.value = 0;
      return;
    }
    let frame = 0;
    const tick = () => {
      const rms = microphone.level();
      // -60 dBFS .. 0 dBFS onto 0 .. 1.
      const value = rms > 0 ? Math.min(1, Math.max(0, (20 * Math.log10(rms) + 60) / 60)) : 0;
      if (meter.current) meter.current.value = value;
      frame = requestAnimationFrame(tick);
    };
    frame = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(frame);
  }, [active, microphone]);

  return (
    <div className="setting-row">
      <span className="setting-label">Input level</span>
      <meter ref={meter} className="level" aria-label="Microphone level" min={0} max={1} low={0.5} high={0.85} optimum={0.6} value={0} />
    </div>
  );
}
