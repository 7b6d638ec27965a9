using System.IO.Pipes;
using System.Net.Http.Json;
using System.Net.Sockets;
using Ferry.Node.Heartbeats;
using Ferry.Node.Hosting;

namespace Ferry.Node.Admin;

/// <summary>dmgcmd's side of the admin endpoint. Null answers mean the node service is not running on this data dir.</summary>
public sealed class AdminClient(NodeDataDirectory dir) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        ConnectCallback = async (_, ct) =>
        {
            if (OperatingSystem.IsWindows())
            {
                var pipe = new NamedPipeClientStream(".", dir.AdminPipeName, PipeDirection.InOut, PipeOptions.Asynchronous);
                await pipe.ConnectAsync(2000, ct);
                return pipe;
            }
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(dir.AdminSocket), ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    {
        BaseAddress = new Uri("http://ferry-node"),
        Timeout = TimeSpan.FromSeconds(10),
    };

    public Task<NodeStatusReport?> StatusAsync(CancellationToken ct) => CallAsync(HttpMethod.Get, "/status", ct);
    public Task<NodeStatusReport?> ReloadAsync(CancellationToken ct) => CallAsync(HttpMethod.Post, "/reload", ct);

    public async Task<bool> StopAsync(CancellationToken ct)
    {
        try
        {
            using var response = await _http.PostAsync("/stop", null, ct);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (IsNotRunning(e))
        {
            return false;
        }
    }

    private async Task<NodeStatusReport?> CallAsync(HttpMethod method, string path, CancellationToken ct)
    {
        if (!OperatingSystem.IsWindows() && !File.Exists(dir.AdminSocket))
            return null;
        try
        {
            using var response = await _http.SendAsync(new HttpRequestMessage(method, path), ct);
            response.EnsureSuccessStatusCode();
            return await response.Content.ReadFromJsonAsync(NodeJsonContext.Default.NodeStatusReport, ct);
        }
        catch (Exception e) when (IsNotRunning(e))
        {
            return null;
        }
    }

    private static bool IsNotRunning(Exception e) =>
        e is HttpRequestException or SocketException or IOException or TimeoutException || (e is TaskCanceledException);

    public void Dispose() => _http.Dispose();
}
