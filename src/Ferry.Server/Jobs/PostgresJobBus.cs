using Npgsql;

namespace Ferry.Server.Jobs;

/// <summary>
/// Carries "work was queued" between server instances over one PostgreSQL database: each instance LISTENs on one
/// channel on a connection of its own and NOTIFYs it when it queues work, so a node long-polling another instance is
/// woken at once. The listening connection is opened again (backing off) whenever it breaks, e.g. when PostgreSQL
/// restarts.
/// </summary>
public sealed partial class PostgresJobBus(string connectionString, JobSignals signals, ILogger<PostgresJobBus> logger) : BackgroundService
{
    private const string Channel = "ferry_jobs";
    private readonly NpgsqlDataSource _source = NpgsqlDataSource.Create(connectionString);
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once this instance first listens (for tests and start-up ordering).</summary>
    public Task Listening => _listening.Task;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        signals.PublishWith(PublishAsync);
        await base.StartAsync(cancellationToken);
    }

    private async Task PublishAsync(string queue)
    {
        await using var connection = await _source.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT pg_notify(@channel, @queue)", connection);
        command.Parameters.AddWithValue("channel", Channel);
        command.Parameters.AddWithValue("queue", queue);
        await command.ExecuteNonQueryAsync();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _source.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => signals.Wake(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                LogListening(logger);
                _listening.TrySetResult();
                delay = TimeSpan.FromSeconds(1);
                while (!stoppingToken.IsCancellationRequested)
                    await connection.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or IOException or TimeoutException or InvalidOperationException)
            {
                LogLost(logger, e.Message, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    public override void Dispose()
    {
        signals.PublishWith(null);
        _source.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 5110, Level = LogLevel.Information, Message = "Listening for work queued by other server instances")]
    private static partial void LogListening(ILogger logger);

    [LoggerMessage(EventId = 5111, Level = LogLevel.Warning, Message = "Lost the connection that hears of work queued by other server instances ({Error}); listening again in {Seconds} s, polling meanwhile")]
    private static partial void LogLost(ILogger logger, string error, double seconds);
}
