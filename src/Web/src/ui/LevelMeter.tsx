import { useEffect, useRef } from 'react';
import { useChat } from './context';

/** The microphone's input level, read from an AnalyserNode on every animation frame while shown. */
export function LevelMeter() {
  const { microphone } = useChat();
  const meter = useRef<HTMLMeterElement>(null);

  useEffect(() => {
    let frame = 0;
    let shown = 0;
    const tick = () => {
      const rms = microphone.level();
      // -60 dBFS .. 0 dBFS onto 0 .. 1.
      const value = rms > 0 ? Math.min(1, Math.max(0, (20 * Math.log10(rms) + 60) / 60)) : 0;
      // Silence (or no capture) reads the same every frame: leave the element alone then.
      if (value !== shown && meter.current) meter.current.value = shown = value;
      frame = requestAnimationFrame(tick);
    };
    frame = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(frame);
  }, [microphone]);

  return (
    <div className="setting-row">
      <span className="setting-label">Input level</span>
      <meter ref={meter} className="level" aria-label="Microphone level" min={0} max={1} low={0.5} high={0.85} optimum={0.6} value={0} />
    </div>
  );
}
