using OpenChat.Rtc.Transport;

namespace OpenChat.MixerBench;

/// <summary>CPU time of the calling thread (Linux), so results are not inflated by other processes sharing the cores.</summary>
internal static class ThreadCpu
{
    public static double Seconds() => ThreadCpuTime.Now() ?? Environment.TickCount64 / 1000.0;
}
