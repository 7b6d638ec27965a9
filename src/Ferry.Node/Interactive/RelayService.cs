using System.Net.WebSockets;
using System.Text.Json;
using Ferry.Contracts;
using Ferry.Contracts.Protocol;
using Ferry.Node.Connection;
using Ferry.Node.Heartbeats;
using Ferry.Node.Identity;

namespace Ferry.Node.Interactive;

/// <summary>
/// Keeps the relay open: an outbound WebSocket to the server over which interactive requests arrive and answers go
/// back. When it cannot connect, it says why (the next heartbeat carries it, and the server shows the node Limited) and
/// retries with backoff. Not used while the runtime has self-contained interactive authoring on.
/// </summary>
public sealed partial class RelayService(IdentityWatch identities, InteractiveLink link, ServerClient server, ControlPlaneHttp controlPlane,
    InteractiveHandler handler, TimeProvider time, ILogger<RelayService> logger) : BackgroundService
{
    private const int MaxConcurrentRequests = 8;
    private readonly Backoff _backoff = new(Random.Shared);
    private readonly SemaphoreSlim _slots = new(MaxConcurrentRequests, MaxConcurrentRequests);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var identity = identities.Current;
            var relayUrl = link.RelayUrl;
            if (identity is null || relayUrl is null || link.SelfContained)
            {
                await link.WaitForChangeAsync(TimeSpan.FromSeconds(5), time, stoppingToken);
                continue;
            }

            TimeSpan wait;
            var proxyChanged = controlPlane.Changed;
            try
            {
                await RunOnceAsync(identity, relayUrl, proxyChanged, stoppingToken);
                wait = stoppingToken.IsCancellationRequested || identities.Current != identity || link.RelayUrl != relayUrl || link.SelfContained
                       || proxyChanged.IsCancellationRequested
                    ? TimeSpan.Zero
                    : Down("the server closed the relay");
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is WebSocketException or HttpRequestException or IOException or OperationCanceledException)
            {
                wait = Down(Describe(e, relayUrl));
            }
            await link.WaitForChangeAsync(wait, time, stoppingToken);
        }
    }

    private async Task RunOnceAsync(NodeIdentity identity, string relayUrl, CancellationToken proxyChanged, CancellationToken stoppingToken)
    {
        // A new proxy setting drops the relay too: it reconnects through the new path at once.
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, proxyChanged);
        using var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(15);
        socket.Options.Proxy = controlPlane.CurrentProxy;
        socket.Options.SetRequestHeader("Authorization", server.Sign(identity, "GET", NodeProtocol.RelayPath, []));
        using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(connection.Token))
        {
            connectTimeout.CancelAfter(TimeSpan.FromSeconds(15));
            await socket.ConnectAsync(WebSocketUri(relayUrl), connectTimeout.Token);
        }
        link.RelayUp();
        _backoff.Reset();
        LogConnected(logger, relayUrl);

        // Drop the connection when the server's directions or the node's identity change.
        var watch = WatchAsync(identity, relayUrl, connection);
        var sendLock = new SemaphoreSlim(1, 1);
        var buffer = new byte[64 * 1024];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                using var message = new MemoryStream();
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(), connection.Token);
                    if (result.MessageType == WebSocketMessageType.Close)
                        return;
                    message.Write(buffer, 0, result.Count);
                } while (!result.EndOfMessage);

                InteractiveRequest? request;
                try
                {
                    request = JsonSerializer.Deserialize(message.GetBuffer().AsSpan(0, (int)message.Length), FerryJsonContext.Default.InteractiveRequest);
                }
                catch (JsonException)
                {
                    continue;
                }
                if (request is not null)
                    _ = AnswerAsync(socket, sendLock, request, connection.Token);
            }
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // Directions changed: reconnect (or stop using the relay) at once.
        }
        finally
        {
            await connection.CancelAsync();
            await watch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task WatchAsync(NodeIdentity identity, string relayUrl, CancellationTokenSource connection)
    {
        while (!connection.IsCancellationRequested)
        {
            await link.WaitForChangeAsync(TimeSpan.FromSeconds(5), time, connection.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (identities.Current != identity || link.RelayUrl != relayUrl || link.SelfContained)
            {
                await connection.CancelAsync();
                return;
            }
        }
    }

    private async Task AnswerAsync(ClientWebSocket socket, SemaphoreSlim sendLock, InteractiveRequest request, CancellationToken ct)
    {
        await _slots.WaitAsync(ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (ct.IsCancellationRequested)
            return;
        try
        {
            var response = await handler.HandleAsync(request, ct);
            var bytes = JsonSerializer.SerializeToUtf8Bytes(response, FerryJsonContext.Default.InteractiveResponse);
            await sendLock.WaitAsync(ct);
            try
            {
                await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, ct);
            }
            finally
            {
                sendLock.Release();
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The relay dropped while answering; the server times the request out and the user may retry.
        }
        finally
        {
            _slots.Release();
        }
    }

    private TimeSpan Down(string error)
    {
        var delay = _backoff.NextDelay();
        if (link.RelayError != error)
            LogDown(logger, error, delay.TotalSeconds);
        link.RelayDown(error, time.GetUtcNow());
        return delay;
    }

    private static string Describe(Exception e, string relayUrl)
    {
        var inner = e.InnerException is { } i && i.Message != e.Message ? $": {i.Message}" : "";
        return e is OperationCanceledException
            ? $"the relay at {relayUrl} did not answer within 15 s"
            : $"cannot keep the relay to {relayUrl} open: {e.Message}{inner}";
    }

    private static Uri WebSocketUri(string relayUrl)
    {
        var builder = new UriBuilder(new Uri(new Uri(relayUrl), NodeProtocol.RelayPath));
        builder.Scheme = builder.Scheme == "https" ? "wss" : "ws";
        return builder.Uri;
    }

    [LoggerMessage(EventId = 3201, Level = LogLevel.Information, Message = "Relay connected to {RelayUrl}")]
    private static partial void LogConnected(ILogger logger, string relayUrl);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Warning, Message = "Relay down: {Error}; retrying in {Seconds:F1} s (the node shows Limited meanwhile)")]
    private static partial void LogDown(ILogger logger, string error, double seconds);
}
