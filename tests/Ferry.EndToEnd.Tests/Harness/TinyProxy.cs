using System.Diagnostics;

namespace Ferry.EndToEnd.Tests.Harness;

/// <summary>
/// A real HTTP proxy, tinyproxy from Debian's packages (./scripts/test installs it), on a loopback port (or the address
/// given, taking clients from the one allowed), optionally asking for a user and password (407 otherwise). Its log
/// records every request it carried.
/// </summary>
public sealed class TinyProxy : IDisposable
{
    private readonly string _config;
    private Process? _process;

    private readonly string _folder;
    private readonly string _listen;

    public TinyProxy((string User, string Password)? basicAuth = null, string listen = "127.0.0.1", string allow = "127.0.0.1")
    {
        _listen = listen;
        // A folder of its own that the proxy, once it has dropped to nobody, can reach to write its log.
        _folder = Directory.CreateTempSubdirectory("ferry-tinyproxy-").FullName;
        File.SetUnixFileMode(_folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
                                      | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var folder = _folder;
        Port = FerryServer.FreePort();
        LogFile = Path.Combine(folder, "tinyproxy.log");
        _config = Path.Combine(folder, "tinyproxy.conf");
        File.WriteAllLines(_config,
        [
            $"Port {Port}", $"Listen {listen}", "Timeout 120", "MaxClients 100", $"Allow {allow}", "LogLevel Info",
            $"LogFile \"{LogFile}\"", "User nobody", "Group nogroup",
            .. basicAuth is { } auth ? [$"BasicAuth {auth.User} {auth.Password}"] : Array.Empty<string>(),
        ]);
        // The proxy drops to nobody: it must be able to write its log.
        File.WriteAllText(LogFile, "");
        File.SetUnixFileMode(LogFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite
                                      | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
        Start();
    }

    public int Port { get; }
    public string LogFile { get; }
    public string Address => $"{_listen}:{Port}";

    public string Log => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";

    public void Start()
    {
        var binary = File.Exists("/usr/bin/tinyproxy") ? "/usr/bin/tinyproxy"
            : throw new InvalidOperationException("tinyproxy is missing: apt-get install tinyproxy (./scripts/test installs it)");
        _process = Process.Start(new ProcessStartInfo(binary, ["-d", "-c", _config]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var until = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < until)
        {
            try
            {
                using var probe = new System.Net.Sockets.TcpClient();
                probe.Connect(_listen, Port);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                if (_process.HasExited)
                    throw new InvalidOperationException($"tinyproxy exited ({_process.ExitCode}): {Log}");
                Thread.Sleep(100);
            }
        }
        throw new InvalidOperationException($"tinyproxy did not listen on {Address}: {Log}");
    }

    /// <summary>The proxy down: its port refuses connections.</summary>
    public void Stop()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }
    }

    public void Dispose()
    {
        Stop();
        _process?.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
