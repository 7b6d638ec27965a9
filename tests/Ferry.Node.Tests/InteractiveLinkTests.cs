using Ferry.Node.Interactive;

namespace Ferry.Node.Tests;

public class InteractiveLinkTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_relay_drop_is_reported_only_once_it_lasts_while_the_server_answers()
    {
        var link = new InteractiveLink();
        Assert.Equal((null, null), link.Report(T0)); // never tried yet

        link.RelayDown("refused", T0);
        Assert.Equal((null, null), link.Report(T0 + InteractiveLink.ReportAfter - TimeSpan.FromSeconds(1)));
        Assert.Equal((false, "refused"), link.Report(T0 + InteractiveLink.ReportAfter));

        // The server was away meanwhile: the relay's outage counts again from its return.
        link.ServerBack(T0 + TimeSpan.FromSeconds(60));
        link.RelayDown("still refused", T0 + TimeSpan.FromSeconds(61));
        Assert.Equal((null, null), link.Report(T0 + TimeSpan.FromSeconds(65)));
        Assert.Equal((false, "still refused"), link.Report(T0 + TimeSpan.FromSeconds(71)));

        link.RelayUp();
        Assert.Equal((true, null), link.Report(T0 + TimeSpan.FromSeconds(72)));
    }

    [Fact]
    public async Task Changed_directions_wake_whoever_waits()
    {
        var link = new InteractiveLink();
        var waiting = link.WaitForChangeAsync(TimeSpan.FromMinutes(1), TimeProvider.System, CancellationToken.None);

        link.Directed("http://server", selfContained: false);

        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("http://server", link.RelayUrl);
    }
}
