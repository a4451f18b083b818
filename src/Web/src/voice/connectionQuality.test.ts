import { describe, expect, test } from 'vitest';
import { describeQuality, QualityMeter } from './connectionQuality';

const udp = { kind: 'udp' } as const;

const report = (received: number, lost: number, rtt = 0.004, local: Record<string, unknown> = { candidateType: 'host', protocol: 'udp' }) => [
  { id: 'T1', type: 'transport', selectedCandidatePairId: 'CP2' },
  { id: 'CP1', type: 'candidate-pair', nominated: false, state: 'failed', currentRoundTripTime: 0.5, localCandidateId: 'L1' },
  { id: 'CP2', type: 'candidate-pair', nominated: true, state: 'succeeded', currentRoundTripTime: rtt, localCandidateId: 'L2' },
  { id: 'L1', type: 'local-candidate', candidateType: 'relay', protocol: 'udp', relayProtocol: 'tls' },
  { id: 'L2', type: 'local-candidate', ...local },
  { id: 'IT1', type: 'inbound-rtp', kind: 'audio', packetsReceived: received, packetsLost: lost },
  { id: 'OT1', type: 'outbound-rtp', kind: 'audio', packetsSent: 999 },
];

describe('QualityMeter', () => {
  test('reads the selected pair round trip and the loss between readings', () => {
    const meter = new QualityMeter();
    expect(meter.update(report(90, 10))).toEqual({ path: udp, rttMs: 4, lossPercent: 10 });
    // 100 more arrived, none lost since: 0 %, although 10 were lost in all.
    expect(meter.update(report(190, 10, 0.012))).toEqual({ path: udp, rttMs: 12, lossPercent: 0 });
    expect(meter.update(report(238, 12)).lossPercent).toBeCloseTo(4, 6);
    // Nothing new: no loss rather than a division by zero.
    expect(meter.update(report(238, 12)).lossPercent).toBe(0);
  });

  test('without a transport it takes the nominated succeeded pair; missing parts are null', () => {
    const meter = new QualityMeter();
    const noTransport = report(10, 0).filter((s) => s.type !== 'transport');
    expect(meter.update(noTransport).rttMs).toBe(4);
    expect(new QualityMeter().update([])).toEqual({ path: null, rttMs: null, lossPercent: null });
    expect(new QualityMeter().update([{ id: 'IT1', type: 'inbound-rtp', kind: 'audio', packetsReceived: 'x' }])).toEqual({ path: null, rttMs: null, lossPercent: null });
  });

  test('the path is the selected pair\'s: direct UDP or TCP from its protocol, relayed from a relay candidate whatever its protocol', () => {
    const path = (local: Record<string, unknown>) => new QualityMeter().update(report(10, 0, 0.004, local)).path;
    expect(path({ candidateType: 'prflx', protocol: 'tcp', tcpType: 'active' })).toEqual({ kind: 'tcp' });
    expect(path({ candidateType: 'host', protocol: 'udp' })).toEqual(udp);
    expect(path({ candidateType: 'relay', protocol: 'udp', relayProtocol: 'tls' })).toEqual({ kind: 'relay', via: 'tls' });
    expect(path({ candidateType: 'relay', protocol: 'udp' })).toEqual({ kind: 'relay', via: null });
    expect(path({ candidateType: 'host', protocol: 'sctp' })).toBeNull();
    // A pair whose local candidate report is missing has no path yet.
    expect(new QualityMeter().update(report(10, 0).filter((s) => s.id !== 'L2')).path).toBeNull();
  });

  test('describeQuality shows what is known', () => {
    expect(describeQuality({ path: udp, rttMs: 3.4, lossPercent: 0 })).toBe('Direct UDP · Ping 3 ms · 0.0 % loss');
    expect(describeQuality({ path: { kind: 'tcp' }, rttMs: null, lossPercent: 2.25 })).toBe('Direct TCP · 2.3 % loss');
    expect(describeQuality({ path: { kind: 'relay', via: 'tls' }, rttMs: null, lossPercent: null })).toBe('Relayed (TLS)');
    expect(describeQuality({ path: null, rttMs: null, lossPercent: 2.25 })).toBe('2.3 % loss');
    expect(describeQuality({ path: null, rttMs: null, lossPercent: null })).toBe('');
    expect(describeQuality({ path: null, rttMs: 0.4, lossPercent: null })).toBe('Ping <1 ms');
  });
});
