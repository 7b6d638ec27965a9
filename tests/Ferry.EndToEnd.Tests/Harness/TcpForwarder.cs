using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Ferry.EndToEnd.Tests.Harness;

/// <summary>
/// A loopback TCP forwarder standing in for a network path that can be cut: everything it accepts goes to the target
/// port, <see cref="Cut"/> drops every connection and refuses new ones, as a firewall change would, and
/// <see cref="Restore"/> lets connections through again on the same port.
/// </summary>
public sealed class TcpForwarder : IDisposable
{
    private TcpListener _listener;
    private readonly int _target;
    private readonly ConcurrentBag<Socket> _sockets = [];
    private CancellationTokenSource _stop = new();

    public TcpForwarder(int target)
    {
        _target = target;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptAsync();
    }

    public int Port { get; }

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptSocketAsync(_stop.Token);
                var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await upstream.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
                }
                catch (SocketException)
                {
                    client.Dispose();
                    upstream.Dispose();
                    continue;
                }
                _sockets.Add(client);
                _sockets.Add(upstream);
                _ = PumpAsync(client, upstream);
                _ = PumpAsync(upstream, client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, _stop.Token);
                if (read == 0)
                    break;
                await to.SendAsync(buffer.AsMemory(0, read), _stop.Token);
            }
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    /// <summary>Drops every connection at once (a reset, as a firewall rule would cause) and refuses new ones.</summary>
    public void Cut()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (var socket in _sockets)
        {
            try
            {
                socket.LingerState = new LingerOption(true, 0);
                socket.Close();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>Heals a cut: accepts connections again on the same port.</summary>
    public void Restore()
    {
        _stop = new CancellationTokenSource();
        _listener = new TcpListener(IPAddress.Loopback, Port);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
        _ = AcceptAsync();
    }

    public void Dispose()
    {
        Cut();
        _stop.Dispose();
    }
}
