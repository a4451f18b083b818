using System.Runtime.InteropServices;

namespace OpenChat.MixerBench;

/// <summary>CPU time of the calling thread (Linux), so results are not inflated by other processes sharing the cores.</summary>
internal static partial class ThreadCpu
{
    private const int ClockThreadCpuTimeId = 3;

    public static double Seconds()
    {
        if (!OperatingSystem.IsLinux()) return Environment.TickCount64 / 1000.0;
        clock_gettime(ClockThreadCpuTimeId, out var ts);
        return ts.Seconds + ts.Nanoseconds / 1e9;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int clock_gettime(int clockId, out TimeSpec time);
}
