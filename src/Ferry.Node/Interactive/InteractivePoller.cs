using Ferry.Node.Connection;
using Ferry.Node.Heartbeats;

namespace Ferry.Node.Interactive;

/// <summary>
/// Self-contained interactive authoring: while the runtime has it on, interactive requests come over the node's
/// ordinary outbound HTTP channel (a long poll), so they work where the relay cannot connect.
/// </summary>
public sealed partial class InteractivePoller(IdentityWatch identities, InteractiveLink link, ServerClient server, InteractiveHandler handler,
    TimeProvider time, ILogger<InteractivePoller> logger) : BackgroundService
{
    private readonly Backoff _backoff = new(Random.Shared);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var identity = identities.Current;
            if (identity is null || !link.SelfContained)
            {
                await link.WaitForChangeAsync(TimeSpan.FromSeconds(5), time, stoppingToken);
                continue;
            }
            try
            {
                var request = await server.PollInteractiveAsync(identity, stoppingToken);
                _backoff.Reset();
                if (request is not null)
                    _ = Task.Run(async () =>
                    {
                        var response = await handler.HandleAsync(request, stoppingToken);
                        try
                        {
                            await server.SendInteractiveResultAsync(identity, response, stoppingToken);
                        }
                        catch (Exception e) when (e is HttpRequestException or ServerProblemException or OperationCanceledException)
                        {
                            LogAnswerLost(logger, e.Message);
                        }
                    }, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or ServerProblemException)
            {
                // The heartbeat loop reports the server being unreachable; here we only wait before polling again.
                await Task.Delay(_backoff.NextDelay(), time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    [LoggerMessage(EventId = 3301, Level = LogLevel.Warning, Message = "Could not send an interactive answer back: {Error}")]
    private static partial void LogAnswerLost(ILogger logger, string error);
}
