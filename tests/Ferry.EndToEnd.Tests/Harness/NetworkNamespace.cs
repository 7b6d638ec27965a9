using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Ferry.EndToEnd.Tests.Harness;

/// <summary>
/// A Linux network namespace whose only way to the host is a link the test can degrade or cut, packet by packet. A
/// process started inside it (<see cref="Launcher"/>) reaches the host's <see cref="HostAddress"/> over a pair of TUN
/// devices, one in each namespace, between which this class carries every IP packet itself: it drops the share it is
/// told to and holds each packet back by the delay it is told to, in both directions, so the processes' TCP sees real
/// loss and real latency (retransmissions, backoff, stalls). This stands in for tc netem, which this project's kernels
/// are built without (CONFIG_NET_SCH_NETEM is not set, and there are no modules). Needs root, as ./scripts/test runs.
/// </summary>
public sealed class NetworkNamespace : IDisposable
{
    private readonly string _hostLink;
    private readonly string _insideLink;
    private readonly List<Thread> _threads = [];
    private readonly List<int> _fds = [];
    private volatile bool _stopped;
    private volatile int _lossPercent;
    private volatile int _delayMs;

    private NetworkNamespace(int id)
    {
        Name = $"ferry-test-{id}";
        _hostLink = $"ft{id}h";
        _insideLink = $"ft{id}n";
        HostAddress = $"10.202.{id}.1";
        InsideAddress = $"10.202.{id}.2";
    }

    public string Name { get; }

    /// <summary>The host's end of the link: a server listening here is reachable from inside.</summary>
    public string HostAddress { get; }

    public string InsideAddress { get; }

    /// <summary>The command prefix that runs a program inside the namespace.</summary>
    public string[] Launcher => ["ip", "netns", "exec", Name];

    /// <summary>Packets dropped and delayed so far, for the test's figures.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);
    public long Carried => Interlocked.Read(ref _carried);
    private long _dropped;
    private long _carried;

    public static async Task<NetworkNamespace> CreateAsync()
    {
        var ns = new NetworkNamespace(Random.Shared.Next(1, 250));
        await TryAsync("ip", "netns", "del", ns.Name); // a leftover of a killed run
        await RunAsync("ip", "netns", "add", ns.Name);
        var host = OpenTun(ns._hostLink);
        var inside = OpenTun(ns._insideLink);
        ns._fds.AddRange([host, inside]);
        // The device keeps its open descriptor when it moves, so this process goes on carrying its packets.
        await RunAsync("ip", "link", "set", ns._insideLink, "netns", ns.Name);
        await RunAsync("ip", "addr", "add", ns.HostAddress, "peer", ns.InsideAddress, "dev", ns._hostLink);
        await RunAsync("ip", "link", "set", ns._hostLink, "up");
        await ns.InsideAsync("ip", "addr", "add", ns.InsideAddress, "peer", ns.HostAddress, "dev", ns._insideLink);
        await ns.InsideAsync("ip", "link", "set", ns._insideLink, "up");
        await ns.InsideAsync("ip", "link", "set", "lo", "up");
        ns.Carry(host, inside);
        ns.Carry(inside, host);
        return ns;
    }

    /// <summary>Both directions lose <paramref name="lossPercent"/>% of their packets, and every packet arrives <paramref name="delayMs"/> ms late.</summary>
    public void Degrade(int lossPercent, int delayMs)
    {
        _delayMs = delayMs;
        _lossPercent = lossPercent;
    }

    /// <summary>Nothing gets through, either way, as when a cable is pulled (no reset, no refusal: silence).</summary>
    public void Cut() => Degrade(100, 0);

    /// <summary>The link as it was made: no loss, no delay.</summary>
    public void Heal() => Degrade(0, 0);

    /// <summary>Reads packets from one device and writes them, unless dropped, to the other once their delay has passed.</summary>
    private void Carry(int from, int to)
    {
        var queue = new BlockingCollection<(long Due, byte[] Packet)>();
        var reader = new Thread(() =>
        {
            var buffer = new byte[65536];
            while (!_stopped)
            {
                var poll = new PollFd { Fd = from, Events = PollIn };
                if (Poll(ref poll, 1, 200) <= 0)
                    continue;
                var length = Read(from, buffer, buffer.Length);
                if (length <= 0)
                    continue;
                if (Random.Shared.Next(100) < _lossPercent)
                {
                    Interlocked.Increment(ref _dropped);
                    continue;
                }
                queue.Add((Stopwatch.GetTimestamp() + _delayMs * Stopwatch.Frequency / 1000, buffer[..(int)length]));
            }
            queue.CompleteAdding();
        }) { IsBackground = true, Name = $"link {from}->{to} in" };
        var writer = new Thread(() =>
        {
            foreach (var (due, packet) in queue.GetConsumingEnumerable())
            {
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.Zero)
                    Thread.Sleep(wait);
                if (_lossPercent >= 100)
                {
                    Interlocked.Increment(ref _dropped); // cut while it was on its way
                    continue;
                }
                Write(to, packet, packet.Length);
                Interlocked.Increment(ref _carried);
            }
        }) { IsBackground = true, Name = $"link {from}->{to} out" };
        _threads.AddRange([reader, writer]);
        reader.Start();
        writer.Start();
    }

    private static int OpenTun(string name)
    {
        var fd = Open("/dev/net/tun\0"u8.ToArray(), ReadWrite);
        if (fd < 0)
            throw new InvalidOperationException($"cannot open /dev/net/tun (errno {Marshal.GetLastPInvokeError()}); the degraded-network test needs root, as ./scripts/test runs");
        var request = new byte[40];
        System.Text.Encoding.ASCII.GetBytes(name).CopyTo(request, 0);
        BitConverter.GetBytes((short)(IffTun | IffNoPi)).CopyTo(request, 16);
        if (Ioctl(fd, TunSetIff, request) < 0)
            throw new InvalidOperationException($"TUNSETIFF {name} failed (errno {Marshal.GetLastPInvokeError()})");
        return fd;
    }

    private Task InsideAsync(params string[] command) => RunAsync([.. Launcher, .. command]);

    private static async Task TryAsync(params string[] command)
    {
        try { await RunAsync(command); }
        catch (InvalidOperationException) { /* nothing to remove */ }
    }

    private static async Task RunAsync(params string[] command)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in command.Skip(1))
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{string.Join(' ', command)}: {await error} (network namespaces need root and iproute2, as ./scripts/test sets up)");
    }

    public void Dispose()
    {
        _stopped = true;
        foreach (var thread in _threads)
            thread.Join(TimeSpan.FromSeconds(5));
        using (var process = Process.Start(new ProcessStartInfo("ip", ["netns", "del", Name]) { RedirectStandardError = true })!)
            process.WaitForExit(10_000);
        foreach (var fd in _fds)
            _ = Close(fd); // the host's device goes with its last descriptor
    }

    private const int ReadWrite = 2;
    private const short PollIn = 1;
    private const int IffTun = 0x0001, IffNoPi = 0x1000;
    private const ulong TunSetIff = 0x400454ca;

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open(byte[] nulTerminatedPath, int flags);

    [DllImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static extern int Ioctl(int fd, ulong request, byte[] argument);

    [DllImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static extern int Poll(ref PollFd fds, ulong count, int timeoutMs);

    [DllImport("libc", EntryPoint = "read", SetLastError = true)]
    private static extern nint Read(int fd, byte[] buffer, nint count);

    [DllImport("libc", EntryPoint = "write", SetLastError = true)]
    private static extern nint Write(int fd, byte[] buffer, nint count);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
