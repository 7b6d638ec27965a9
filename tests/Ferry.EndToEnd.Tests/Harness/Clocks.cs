namespace Ferry.EndToEnd.Tests.Harness;

/// <summary>A process's real clock moved, with libfaketime (Debian's faketime package, which ./scripts/test installs).</summary>
public static class Clocks
{
    /// <summary>The environment that moves a process's clock by <paramref name="offset"/> (libfaketime's syntax: "+5m", "-300s").</summary>
    public static Dictionary<string, string> Moved(string offset)
    {
        var library = Directory.GetDirectories("/usr/lib").Select(d => Path.Combine(d, "faketime", "libfaketime.so.1")).FirstOrDefault(File.Exists)
                      ?? throw new InvalidOperationException("libfaketime is missing: apt-get install faketime (./scripts/test installs it)");
        return new() { ["LD_PRELOAD"] = library, ["FAKETIME"] = offset, ["FAKETIME_DONT_FAKE_MONOTONIC"] = "1" };
    }
}
