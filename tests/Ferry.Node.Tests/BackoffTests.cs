using Ferry.Node.Heartbeats;

namespace Ferry.Node.Tests;

public class BackoffTests
{
    /// <summary>A Random that always returns the top of its range, to read the ceiling the backoff draws under.</summary>
    private sealed class Highest : Random
    {
        public override double NextDouble() => 0.999999;
    }

    [Fact]
    public void The_ceiling_doubles_from_one_second_and_stops_at_sixty()
    {
        var backoff = new Backoff(new Highest());

        var ceilings = Enumerable.Range(0, 9).Select(_ => Math.Round(backoff.NextDelay().TotalSeconds)).ToList();

        Assert.Equal([1, 2, 4, 8, 16, 32, 60, 60, 60], ceilings);
    }

    [Fact]
    public void Delays_are_jittered_over_the_whole_range_so_nodes_do_not_return_in_lock_step()
    {
        var backoff = new Backoff(new Random(42));
        for (var i = 0; i < 10; i++) backoff.NextDelay();

        var delays = Enumerable.Range(0, 200).Select(_ => backoff.NextDelay().TotalSeconds).ToList();

        Assert.All(delays, d => Assert.InRange(d, 0, 60));
        Assert.True(delays.Min() < 10 && delays.Max() > 50, $"delays from {delays.Min():F1} to {delays.Max():F1} s");
    }

    [Fact]
    public void A_success_resets_the_backoff()
    {
        var backoff = new Backoff(new Highest());
        for (var i = 0; i < 8; i++) backoff.NextDelay();

        backoff.Reset();

        Assert.Equal(1, Math.Round(backoff.NextDelay().TotalSeconds));
    }
}
