using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using Ferry.Contracts;
using Ferry.Contracts.Protocol;

namespace Ferry.Server.Interactive;

/// <summary>
/// Carries interactive requests to nodes and their answers back: over a node's relay WebSocket, or, with
/// self-contained interactive authoring, through a per-runtime queue the nodes long-poll. Every request waits for its
/// answer here; an answer is taken only from the node the request went to, and only while someone still waits.
/// </summary>
public sealed partial class InteractiveDispatcher(ILogger<InteractiveDispatcher> logger)
{
    /// <summary>The largest answer a node may send (a preview of 1000 wide rows fits).</summary>
    public const int MaxMessageBytes = 8 * 1024 * 1024;

    private readonly ConcurrentDictionary<Guid, RelayConnection> _relays = new();
    private readonly ConcurrentDictionary<Guid, Pending> _pending = new();
    private readonly ConcurrentDictionary<Guid, Channel<InteractiveRequest>> _queues = new();

    private sealed class Pending(Guid? nodeId)
    {
        public TaskCompletionSource<InteractiveResponse> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Guid? NodeId { get; set; } = nodeId;
    }

    private sealed class RelayConnection(WebSocket socket)
    {
        public WebSocket Socket { get; } = socket;
        public SemaphoreSlim SendLock { get; } = new(1, 1);
    }

    public bool HasRelay(Guid nodeId) => _relays.ContainsKey(nodeId);

    /// <summary>Serves one node's relay WebSocket until it closes: requests go out through <see cref="SendOverRelayAsync"/>, answers come in here.</summary>
    public async Task RunRelayAsync(Guid nodeId, string nodeName, WebSocket socket, CancellationToken ct)
    {
        var connection = new RelayConnection(socket);
        if (_relays.TryGetValue(nodeId, out var previous))
            previous.Socket.Abort(); // the node reconnected; the old socket is dead to it
        _relays[nodeId] = connection;
        LogRelayOpened(logger, nodeName);
        var buffer = new byte[64 * 1024];
        try
        {
            while (socket.State == WebSocketState.Open && !ct.IsCancellationRequested)
            {
                using var message = new MemoryStream();
                WebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer, ct);
                    if (result.MessageType == WebSocketMessageType.Close)
                        return;
                    if (message.Length + result.Count > MaxMessageBytes)
                    {
                        await socket.CloseAsync(WebSocketCloseStatus.MessageTooBig, $"answers are limited to {MaxMessageBytes} bytes", ct);
                        return;
                    }
                    message.Write(buffer, 0, result.Count);
                } while (!result.EndOfMessage);

                InteractiveResponse? response;
                try
                {
                    response = JsonSerializer.Deserialize(message.GetBuffer().AsSpan(0, (int)message.Length), FerryJsonContext.Default.InteractiveResponse);
                }
                catch (JsonException)
                {
                    continue; // not an answer: ignore it rather than drop the node's relay
                }
                if (response is not null)
                    Complete(nodeId, response);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The node went away; it reconnects by itself.
        }
        finally
        {
            _relays.TryRemove(new KeyValuePair<Guid, RelayConnection>(nodeId, connection));
            LogRelayClosed(logger, nodeName);
        }
    }

    public async Task<InteractiveResponse> SendOverRelayAsync(Guid nodeId, InteractiveRequest request, TimeSpan timeout, CancellationToken ct)
    {
        if (!_relays.TryGetValue(nodeId, out var connection))
            throw new WebSocketException("the node's relay is not connected");
        var pending = new Pending(nodeId);
        _pending[request.Id] = pending;
        try
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(request, FerryJsonContext.Default.InteractiveRequest);
            await connection.SendLock.WaitAsync(ct);
            try
            {
                await connection.Socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, ct);
            }
            finally
            {
                connection.SendLock.Release();
            }
            return await pending.Answer.Task.WaitAsync(timeout, ct);
        }
        finally
        {
            _pending.TryRemove(request.Id, out _);
        }
    }

    /// <summary>Self-contained interactive authoring: queue the request for whichever node of the runtime polls first.</summary>
    public async Task<(InteractiveResponse Response, Guid NodeId)> SendOverPollAsync(Guid runtimeId, InteractiveRequest request, TimeSpan timeout, CancellationToken ct)
    {
        var pending = new Pending(null);
        _pending[request.Id] = pending;
        try
        {
            await Queue(runtimeId).Writer.WriteAsync(request, ct);
            var response = await pending.Answer.Task.WaitAsync(timeout, ct);
            return (response, pending.NodeId ?? Guid.Empty);
        }
        finally
        {
            _pending.TryRemove(request.Id, out _);
        }
    }

    /// <summary>A node's long poll: the next request still waited for, or null when none came within <paramref name="wait"/>.</summary>
    public async Task<InteractiveRequest?> TakeAsync(Guid runtimeId, Guid nodeId, TimeSpan wait, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(wait);
        var reader = Queue(runtimeId).Reader;
        try
        {
            while (true)
            {
                var request = await reader.ReadAsync(timeout.Token);
                // Requests whose caller gave up are dropped here, not run.
                if (_pending.TryGetValue(request.Id, out var pending) && pending.NodeId is null)
                {
                    pending.NodeId = nodeId;
                    return request;
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Takes an answer from <paramref name="nodeId"/>; false when nobody waits for it or it came from another node.</summary>
    public bool Complete(Guid nodeId, InteractiveResponse response) =>
        _pending.TryGetValue(response.Id, out var pending) && pending.NodeId == nodeId && pending.Answer.TrySetResult(response);

    private Channel<InteractiveRequest> Queue(Guid runtimeId) =>
        _queues.GetOrAdd(runtimeId, _ => Channel.CreateBounded<InteractiveRequest>(new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest }));

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Relay of node {NodeName} connected")]
    private static partial void LogRelayOpened(ILogger logger, string nodeName);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Relay of node {NodeName} closed")]
    private static partial void LogRelayClosed(ILogger logger, string nodeName);
}
