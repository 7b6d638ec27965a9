using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Ferry.Node.Credentials;
using Ferry.Node.Hosting;
using Ferry.Node.Settings;

namespace Ferry.Node.Connection;

/// <summary>
/// The HTTP client every call to the control plane goes through, built for the node's proxy setting. When the setting
/// changes (dmgcmd -SetProxy writes settings.json), the next call gets a client built for the new one: the node's
/// connections start again through the new path without the process restarting. The old client is disposed a minute
/// later, when its calls (a long poll at most) have ended. <see cref="Changed"/> tells the relay to reconnect.
/// </summary>
public sealed partial class ControlPlaneHttp : IDisposable
{
    private static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(1);
    private readonly NodeSettingsStore? _settings;
    private readonly SecretProtector? _protector;
    private readonly ILogger? _logger;
    private readonly Lock _gate = new();
    private HttpClient _client;
    private ProxySettings _proxy;
    private IWebProxy? _webProxy;
    private CancellationTokenSource _changed = new();
    private long _nextCheck;

    /// <summary>Follows the node's settings (the node service).</summary>
    public ControlPlaneHttp(NodeSettingsStore settings, SecretProtector protector, ILogger<ControlPlaneHttp> logger)
    {
        (_settings, _protector, _logger) = (settings, protector, logger);
        _proxy = ReadSetting();
        (_client, _webProxy) = Build(_proxy);
    }

    /// <summary>One fixed setting (dmgcmd, which runs once).</summary>
    public ControlPlaneHttp(ProxySettings proxy, SecretProtector? protector)
    {
        (_proxy, _protector) = (proxy, protector);
        (_client, _webProxy) = Build(proxy);
    }

    public HttpClient Client
    {
        get
        {
            Refresh();
            return _client;
        }
    }

    public ProxySettings Proxy
    {
        get
        {
            Refresh();
            return _proxy;
        }
    }

    /// <summary>The proxy of the current setting, for the relay's WebSocket and opted-in HTTP data stores: null for none (ClientWebSocket's own default would be the system's).</summary>
    public IWebProxy? CurrentProxy
    {
        get
        {
            Refresh();
            return _proxy.Mode == ProxySettings.System ? HttpClient.DefaultProxy : _webProxy;
        }
    }

    /// <summary>The proxy HTTP data stores use, when the node's user let them (--http-data-stores); null otherwise.</summary>
    public IWebProxy? HttpDataStoreProxy => Proxy.HttpDataStores ? CurrentProxy : null;

    /// <summary>Cancelled when the proxy setting changes.</summary>
    public CancellationToken Changed
    {
        get
        {
            Refresh();
            return _changed.Token;
        }
    }

    /// <summary>The proxy a call to <paramref name="target"/> goes through, or null when it goes directly.</summary>
    public Uri? ProxyFor(Uri target)
    {
        var proxy = _proxy.Mode switch { ProxySettings.None => null, ProxySettings.System => HttpClient.DefaultProxy, _ => _webProxy };
        if (proxy is null || proxy.IsBypassed(target))
            return null;
        var via = proxy.GetProxy(target);
        return via is null || via == target ? null : via;
    }

    private void Refresh()
    {
        if (_settings is null || Environment.TickCount64 < Interlocked.Read(ref _nextCheck))
            return;
        Interlocked.Exchange(ref _nextCheck, Environment.TickCount64 + (long)CheckEvery.TotalMilliseconds);
        var current = ReadSetting();
        lock (_gate)
        {
            if (Same(current, _proxy))
                return;
            var (old, oldChanged) = (_client, _changed);
            _proxy = current;
            (_client, _webProxy) = Build(current);
            _changed = new CancellationTokenSource();
            oldChanged.Cancel();
            if (_logger is not null)
                LogChanged(_logger, current.Describe());
            _ = Task.Delay(TimeSpan.FromMinutes(1)).ContinueWith(_ =>
            {
                old.Dispose();
                oldChanged.Dispose();
            }, TaskScheduler.Default);
        }
    }

    /// <summary>The same path (records compare their bypass lists by reference, not by content).</summary>
    private static bool Same(ProxySettings a, ProxySettings b) =>
        a with { Bypass = null } == b with { Bypass = null } && a.BypassList.SequenceEqual(b.BypassList, StringComparer.Ordinal);

    private ProxySettings ReadSetting()
    {
        try
        {
            return _settings!.Load().Proxy ?? ProxySettings.Default;
        }
        catch (NodeSetupException)
        {
            return _proxy ?? ProxySettings.Default; // an unreadable settings file: keep what works (dmgcmd -Status names the file)
        }
    }

    private (HttpClient, IWebProxy?) Build(ProxySettings proxy)
    {
        var handler = new SocketsHttpHandler
        {
            // Re-resolve DNS now and then, so a server that moved is found again without a node restart.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        IWebProxy? webProxy = null;
        switch (proxy.Mode)
        {
            case ProxySettings.None:
                handler.UseProxy = false;
                break;
            case ProxySettings.Custom:
                webProxy = CustomProxy(proxy);
                handler.Proxy = webProxy;
                handler.UseProxy = true;
                break;
            default:
                handler.UseProxy = true; // the system's (HttpClient.DefaultProxy)
                break;
        }
        return (new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) }, webProxy);
    }

    private WebProxy CustomProxy(ProxySettings proxy)
    {
        var bypass = proxy.BypassList.Select(b => "^" + Regex.Escape(b).Replace("\\*", ".*", StringComparison.Ordinal) + "$").ToArray();
        var webProxy = new WebProxy(new Uri($"http://{proxy.Address}:{proxy.Port}"), BypassOnLocal: false, bypass);
        if (proxy.User is not null)
        {
            var password = proxy.ProtectedPassword is null || _protector is null ? ""
                : Encoding.UTF8.GetString(_protector.Unprotect(Convert.FromBase64String(proxy.ProtectedPassword)));
            webProxy.Credentials = new NetworkCredential(proxy.User, password);
        }
        return webProxy;
    }

    public void Dispose()
    {
        _client.Dispose();
        _changed.Dispose();
    }

    [LoggerMessage(EventId = 3603, EventName = "ProxyChanged", Level = LogLevel.Information,
        Message = "The proxy setting changed: connections to the control plane start again, {Proxy}")]
    private static partial void LogChanged(ILogger logger, string proxy);
}
