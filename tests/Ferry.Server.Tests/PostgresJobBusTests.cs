using Ferry.Server.Jobs;
using Ferry.Server.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ferry.Server.Tests;

/// <summary>Two server instances over one PostgreSQL database: work queued on one wakes a long poll waiting on the other.</summary>
public sealed class PostgresJobBusTests
{
    [Fact]
    public async Task Work_queued_on_one_instance_wakes_a_poller_waiting_on_another()
    {
        var connection = Environment.GetEnvironmentVariable(StoreFactory.PostgresVariable)
                         ?? throw new InvalidOperationException($"{StoreFactory.PostgresVariable} is not set; run the tests with ./scripts/test.");
        var (signalsA, signalsB) = (new JobSignals(), new JobSignals());
        using var busA = new PostgresJobBus(connection, signalsA, NullLogger<PostgresJobBus>.Instance);
        using var busB = new PostgresJobBus(connection, signalsB, NullLogger<PostgresJobBus>.Instance);
        await busA.StartAsync(default);
        await busB.StartAsync(default);
        await Task.WhenAll(busA.Listening, busB.Listening).WaitAsync(TimeSpan.FromSeconds(30));
        var queue = "queue-" + Guid.NewGuid().ToString("N");

        // Far longer than the test could take: only the notification can end this wait with true.
        var waiting = signalsB.WaitAsync(queue, TimeSpan.FromMinutes(5), default);
        signalsA.Notify(queue);

        Assert.True(await waiting.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.False(await signalsB.WaitAsync("another-" + queue, TimeSpan.FromMilliseconds(200), default));
        await busA.StopAsync(default);
        await busB.StopAsync(default);
    }
}
