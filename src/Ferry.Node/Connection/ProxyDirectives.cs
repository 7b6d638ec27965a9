using System.Text;
using Ferry.Contracts.Protocol;
using Ferry.Engine.Interactive;
using Ferry.Node.Credentials;
using Ferry.Node.Identity;
using Ferry.Node.Settings;

namespace Ferry.Node.Connection;

/// <summary>
/// A proxy setting sent through the control plane (ferry ir node set-proxy). The node opens its password with the
/// runtime's credential key, keeps it under its own protector key like dmgcmd -SetProxy does, and first calls the
/// server through the new path: a setting that does not work is not kept (it would cut the node off from the control
/// plane that could correct it), and the next heartbeat says why. Either way the next heartbeat answers its id.
/// </summary>
public sealed partial class ProxyDirectives(NodeSettingsStore settings, SecretProtector protector, CredentialOpener opener, TimeProvider time,
    ILogger<ProxyDirectives> logger)
{
    private readonly Lock _gate = new();
    private (string Id, string? Error)? _answer;

    /// <summary>What the next heartbeat reports: the id of the last directive handled, and why it was not kept.</summary>
    public (string? Id, string? Error) Answer
    {
        get
        {
            lock (_gate)
                return (_answer?.Id, _answer?.Error);
        }
    }

    /// <summary>The server heard the answer for <paramref name="id"/>.</summary>
    public void Reported(string? id)
    {
        lock (_gate)
        {
            if (id is not null && _answer?.Id == id)
                _answer = null;
        }
    }

    public async Task ApplyAsync(NodeIdentity identity, ProxyDirective directive, CancellationToken ct)
    {
        lock (_gate)
        {
            if (_answer?.Id == directive.Id)
                return; // handled, waiting to be reported
        }
        string? error = null;
        ProxySettings? proxy = null;
        try
        {
            string? sealedPassword = null;
            if (directive.EncryptedPassword is { } envelope)
            {
                var password = opener.Open(identity, envelope)["password"]?.GetValue<string>() ?? "";
                sealedPassword = Convert.ToBase64String(protector.Protect(Encoding.UTF8.GetBytes(password)));
            }
            proxy = new ProxySettings(directive.Mode, directive.Address, directive.Port, directive.User, sealedPassword, directive.Bypass);
            using var trial = new ControlPlaneHttp(proxy, protector);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(15));
            await new ServerClient(trial, time).SelfCheckAsync(identity, NodeVersion.Current, timeout.Token);
        }
        catch (Exception e) when (e is DataStoreException or HttpRequestException or ServerProblemException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            error = $"the proxy setting sent by the control plane ({proxy?.Describe() ?? directive.Mode}) was not kept: {e.Message}; the node keeps its current one";
        }
        if (error is null)
        {
            settings.Save(settings.Load() with { Proxy = proxy });
            LogApplied(logger, proxy!.Describe());
        }
        else
        {
            LogRefused(logger, error);
        }
        lock (_gate)
            _answer = (directive.Id, error);
    }

    [LoggerMessage(EventId = 3601, EventName = "ProxySet", Level = LogLevel.Information, Message = "Proxy set by the control plane: {Proxy}")]
    private static partial void LogApplied(ILogger logger, string proxy);

    [LoggerMessage(EventId = 3602, EventName = "ProxyRefused", Level = LogLevel.Warning, Message = "{Error}")]
    private static partial void LogRefused(ILogger logger, string error);
}
