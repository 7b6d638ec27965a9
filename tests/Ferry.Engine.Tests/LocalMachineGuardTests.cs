using System.Net;
using Ferry.Contracts.Problems;
using Ferry.Engine.Access;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Tests;

public sealed class LocalMachineGuardTests
{
    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    [InlineData("127.8.9.10")]
    [InlineData("::1")]
    [InlineData("[::1]")]
    [InlineData("0.0.0.0")]
    public async Task The_machine_itself_is_refused_while_local_machine_access_is_off(string host)
    {
        var e = await Assert.ThrowsAsync<DataStoreException>(() => LocalMachineGuard.ResolveAsync(NodeAccessPolicy.Default, host, CancellationToken.None));
        Assert.Equal(ErrorCodes.LocalMachineAccessDisabled, e.Code);
        Assert.Contains("-EnableLocalMachineAccess", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_machines_own_interface_addresses_count_as_local()
    {
        var own = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(u => u.Address)
            .First(a => !IPAddress.IsLoopback(a) || a.Equals(IPAddress.Loopback));
        await Assert.ThrowsAsync<DataStoreException>(() => LocalMachineGuard.ResolveAsync(NodeAccessPolicy.Default, own.ToString(), CancellationToken.None));
    }

    [Fact]
    public async Task Enabled_local_machine_access_lets_localhost_through()
    {
        var addresses = await LocalMachineGuard.ResolveAsync(NodeAccessPolicy.Default with { LocalMachineAccess = true }, "localhost", CancellationToken.None);
        Assert.All(addresses, a => Assert.True(IPAddress.IsLoopback(a)));
    }

    [Fact]
    public async Task Another_address_is_not_local()
    {
        var addresses = await LocalMachineGuard.ResolveAsync(NodeAccessPolicy.Default, "192.0.2.10", CancellationToken.None);
        Assert.Equal(IPAddress.Parse("192.0.2.10"), Assert.Single(addresses));
    }

    [Fact]
    public async Task A_name_that_does_not_resolve_is_named()
    {
        var e = await Assert.ThrowsAsync<DataStoreException>(() =>
            LocalMachineGuard.ResolveAsync(NodeAccessPolicy.Default, "no-such-host.invalid", CancellationToken.None));
        Assert.Equal(ErrorCodes.NameNotResolved, e.Code);
        Assert.Contains("no-such-host.invalid", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    [InlineData("[::1]")]
    public void Through_a_proxy_a_name_or_address_of_this_machine_is_refused_while_local_machine_access_is_off(string host)
    {
        var e = Assert.Throws<DataStoreException>(() => LocalMachineGuard.CheckThroughProxy(NodeAccessPolicy.Default, host));
        Assert.Equal("LocalMachineAccessDisabled", e.Code);
        LocalMachineGuard.CheckThroughProxy(NodeAccessPolicy.Default with { LocalMachineAccess = true }, host);
        LocalMachineGuard.CheckThroughProxy(NodeAccessPolicy.Default, "api.example.com"); // resolved by the proxy, not here
    }
}
