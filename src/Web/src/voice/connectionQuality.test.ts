import { describe, expect, test } from 'vitest';
import { describeQuality, QualityMeter } from './connectionQuality';

const report = (received: number, lost: number, rtt = 0.004) => [
  { id: 'T1', type: 'transport', selectedCandidatePairId: 'CP2' },
  { id: 'CP1', type: 'candidate-pair', nominated: false, state: 'failed', currentRoundTripTime: 0.5 },
  { id: 'CP2', type: 'candidate-pair', nominated: true, state: 'succeeded', currentRoundTripTime: rtt },
  { id: 'IT1', type: 'inbound-rtp', kind: 'audio', packetsReceived: received, packetsLost: lost },
  { id: 'OT1', type: 'outbound-rtp', kind: 'audio', packetsSent: 999 },
];

describe('QualityMeter', () => {
  test('reads the selected pair round trip and the loss between readings', () => {
    const meter = new QualityMeter();
    expect(meter.update(report(90, 10))).toEqual({ rttMs: 4, lossPercent: 10 });
    // 100 more arrived, none lost since: 0 %, although 10 were lost in all.
    expect(meter.update(report(190, 10, 0.012))).toEqual({ rttMs: 12, lossPercent: 0 });
    expect(meter.update(report(238, 12)).lossPercent).toBeCloseTo(4, 6);
    // Nothing new: no loss rather than a division by zero.
    expect(meter.update(report(238, 12)).lossPercent).toBe(0);
  });

  test('without a transport it takes the nominated succeeded pair; missing parts are null', () => {
    const meter = new QualityMeter();
    const noTransport = report(10, 0).filter((s) => s.type !== 'transport');
    expect(meter.update(noTransport).rttMs).toBe(4);
    expect(new QualityMeter().update([])).toEqual({ rttMs: null, lossPercent: null });
    expect(new QualityMeter().update([{ id: 'IT1', type: 'inbound-rtp', kind: 'audio', packetsReceived: 'x' }])).toEqual({ rttMs: null, lossPercent: null });
  });

  test('describeQuality shows what is known', () => {
    expect(describeQuality({ rttMs: 3.4, lossPercent: 0 })).toBe('Ping 3 ms · 0.0 % loss');
    expect(describeQuality({ rttMs: null, lossPercent: 2.25 })).toBe('2.3 % loss');
    expect(describeQuality({ rttMs: null, lossPercent: null })).toBe('');
    expect(describeQuality({ rttMs: 0.4, lossPercent: null })).toBe('Ping <1 ms');
  });
});
