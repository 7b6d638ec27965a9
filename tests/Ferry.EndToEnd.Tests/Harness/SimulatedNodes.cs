using System.Security.Cryptography;
using System.Text.Json;
using Ferry.Contracts;
using Ferry.Contracts.Protocol;

namespace Ferry.EndToEnd.Tests.Harness;

/// <summary>
/// Many nodes without their processes: each registers with its own key pair and sends signed heartbeats over the real
/// node protocol, so one test can put a fleet of hundreds against a real server (what a node does beyond
/// heartbeating is tested with real ferry-node processes).
/// </summary>
public sealed class SimulatedNodes(string serverUrl) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = new Uri(serverUrl), Timeout = TimeSpan.FromSeconds(30) };
    private readonly List<(Guid Id, ECDsa Key)> _nodes = [];

    public int Count => _nodes.Count;

    public async Task RegisterAsync(string authKey, int count, string prefix = "sim")
    {
        for (var i = 0; i < count; i++)
        {
            var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new RegisterNodeRequest(authKey, $"{prefix}-{i:D4}", $"{prefix}-{i:D4}", Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()), "0.1.0", 4, 16384, "Linux");
            using var response = await _http.PostAsync(NodeProtocol.RegisterPath,
                new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(request, FerryJsonContext.Default.RegisterNodeRequest)));
            Assert.True(response.IsSuccessStatusCode, $"registering {prefix}-{i:D4}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            var registered = JsonSerializer.Deserialize(await response.Content.ReadAsByteArrayAsync(), FerryJsonContext.Default.RegisterNodeResponse)!;
            _nodes.Add((registered.NodeId, key));
        }
    }

    /// <summary>One heartbeat from every node, all at once; how many the server took.</summary>
    public async Task<int> HeartbeatAllAsync(CancellationToken ct) =>
        (await Task.WhenAll(_nodes.Select(n => HeartbeatAsync(n.Id, n.Key, ct)))).Count(ok => ok);

    /// <summary>
    /// Every node heartbeats every <paramref name="interval"/> until <paramref name="ct"/> ends, all starting at the same
    /// moment (the worst case of a fleet coming back), retrying a refused or failed heartbeat after a second.
    /// </summary>
    public Task RunAsync(TimeSpan interval, CancellationToken ct) => Task.WhenAll(_nodes.Select(n => Task.Run(async () =>
    {
        while (!ct.IsCancellationRequested)
        {
            var ok = await HeartbeatAsync(n.Id, n.Key, ct);
            await Task.Delay(ok ? interval : TimeSpan.FromSeconds(1), ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }, CancellationToken.None)));

    private async Task<bool> HeartbeatAsync(Guid nodeId, ECDsa key, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        var body = JsonSerializer.SerializeToUtf8Bytes(new HeartbeatRequest("0.1.0", NodeProtocol.Version, now, now, 12.5, 8000, 16384, 4, 0, 8, 0, 0, null),
            FerryJsonContext.Default.HeartbeatRequest);
        var signature = NodeRequestSignature.Sign(key, nodeId, "POST", NodeProtocol.HeartbeatPath, now, body);
        using var message = new HttpRequestMessage(HttpMethod.Post, NodeProtocol.HeartbeatPath) { Content = new ByteArrayContent(body) };
        message.Headers.TryAddWithoutValidation("Authorization", signature.ToHeaderValue());
        try
        {
            using var response = await _http.SendAsync(message, ct);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false; // the server is down or did not answer in time: tried again
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        foreach (var (_, key) in _nodes)
            key.Dispose();
    }
}
