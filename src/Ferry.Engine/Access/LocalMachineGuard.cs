using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Ferry.Contracts.Problems;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Access;

/// <summary>
/// Local machine access: while it is off, database and HTTP connections may not reach localhost or any address of the
/// host itself. The check is made on the resolved addresses, and the connection is then made to the address that was
/// checked, so a name that resolves elsewhere the second time (DNS rebinding) cannot slip through.
/// </summary>
public static class LocalMachineGuard
{
    /// <summary>Resolves <paramref name="host"/> and returns the addresses a connection may use, refusing local ones when access is off.</summary>
    public static async Task<IPAddress[]> ResolveAsync(NodeAccessPolicy policy, string host, CancellationToken ct)
    {
        IPAddress[] addresses;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
            addresses = [literal];
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(host, ct);
            }
            catch (SocketException e)
            {
                throw new DataStoreException(ErrorCodes.NameNotResolved,
                    $"name not resolved: '{host}' could not be resolved by the node's DNS ({e.SocketErrorCode}). Check the name, or the node's DNS settings.", e);
            }
            if (addresses.Length == 0)
                throw new DataStoreException(ErrorCodes.NameNotResolved, $"name not resolved: '{host}' has no address.");
        }
        if (!policy.LocalMachineAccess && addresses.FirstOrDefault(IsLocal) is { } local)
            throw new DataStoreException(ErrorCodes.LocalMachineAccessDisabled,
                $"'{host}' is this machine ({local}), and local machine access is off on this node. " +
                "Allow it with `dmgcmd -EnableLocalMachineAccess` on the node if the data store really runs there.");
        return addresses;
    }

    /// <summary>
    /// The same refusal for a host reached through a proxy, which resolves the name itself: only what the name says
    /// (localhost, or an address of this machine) can be judged here.
    /// </summary>
    public static void CheckThroughProxy(NodeAccessPolicy policy, string host)
    {
        var local = string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
                    || (IPAddress.TryParse(host.Trim('[', ']'), out var literal) && IsLocal(literal));
        if (local && !policy.LocalMachineAccess)
            throw new DataStoreException(ErrorCodes.LocalMachineAccessDisabled,
                $"'{host}' is this machine, and local machine access is off on this node. " +
                "Allow it with `dmgcmd -EnableLocalMachineAccess` on the node if the data store really runs there.");
    }

    public static bool IsLocal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
            return true;
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(n => n.GetIPProperties().UnicastAddresses)
                .Any(u => u.Address.Equals(address));
        }
        catch (NetworkInformationException)
        {
            return false;
        }
    }
}
