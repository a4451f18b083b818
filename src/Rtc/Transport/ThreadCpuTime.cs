using System.Runtime.InteropServices;

namespace OpenChat.Rtc.Transport;

/// <summary>The CPU time the calling thread has used (Linux: <c>CLOCK_THREAD_CPUTIME_ID</c>); null where it cannot be read.</summary>
public static partial class ThreadCpuTime
{
    private const int ClockThreadCpuTimeId = 3;

    private static readonly bool Available = OperatingSystem.IsLinux() && TryRead(out _);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>This thread's CPU time so far, in seconds, or null.</summary>
    public static double? Now() => Available && TryRead(out var seconds) ? seconds : null;

    private static bool TryRead(out double seconds)
    {
        seconds = 0;
        try
        {
            if (ClockGetTime(ClockThreadCpuTimeId, out var time) != 0) return false;
            seconds = time.Seconds + time.Nanoseconds / 1e9;
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }
}
