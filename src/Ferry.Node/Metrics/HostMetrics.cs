using System.Globalization;

namespace Ferry.Node.Metrics;

/// <summary>The host's CPU and memory as the heartbeat reports them; read from /proc on Linux, from the runtime elsewhere.</summary>
public sealed class HostMetrics
{
    private long _lastIdle;
    private long _lastTotal;

    public static string OperatingSystemName =>
        OperatingSystem.IsLinux() ? "Linux" : OperatingSystem.IsWindows() ? "Windows" : OperatingSystem.IsMacOS() ? "macOS" : "Other";

    public static (long TotalMemoryMB, long AvailableMemoryMB) Read()
    {
        if (OperatingSystem.IsLinux() && File.Exists("/proc/meminfo"))
        {
            long total = 0, available = 0;
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal)) total = Kb(line);
                else if (line.StartsWith("MemAvailable:", StringComparison.Ordinal)) available = Kb(line);
            }
            return (total / 1024, available / 1024);
        }
        var info = GC.GetGCMemoryInfo();
        return (info.TotalAvailableMemoryBytes / (1024 * 1024), (info.TotalAvailableMemoryBytes - info.MemoryLoadBytes) / (1024 * 1024));
    }

    /// <summary>Machine CPU use in percent since the previous call (Linux), or this process's share elsewhere.</summary>
    public double CpuUtilization()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/stat"))
            return 0;
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var idle = fields[3] + (fields.Length > 4 ? fields[4] : 0);
        var total = fields.Sum();
        var (dIdle, dTotal) = (idle - _lastIdle, total - _lastTotal);
        (_lastIdle, _lastTotal) = (idle, total);
        return dTotal <= 0 ? 0 : Math.Round(100.0 * (dTotal - dIdle) / dTotal, 1);
    }

    private static long Kb(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
}
