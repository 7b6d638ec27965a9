using Ferry.Node.Hosting;
using Ferry.Node.Identity;

namespace Ferry.Node.Registration;

/// <summary>
/// Writes dmgcmd's registrations to the node's event log: a new identity (1003), or a registration the server refused
/// (1006, from <see cref="LastRegistrationRecord"/>). The running service writes them when dmgcmd pokes it; with no
/// service running, dmgcmd writes them itself, so the log has one writer at a time.
/// </summary>
public sealed class RegistrationEvents(ILogger logger, LastRegistrationRecord? known)
{
    private DateTimeOffset _lastRefusal = known?.At ?? DateTimeOffset.MinValue; // a refusal from before is not news

    public void Changed(NodeIdentity? before, NodeIdentity? now, LastRegistrationRecord? refusal)
    {
        if (now is not null && (before is null || before.NodeId != now.NodeId || before.ServerUrl != now.ServerUrl))
            NodeEvents.Registered(logger, now.NodeName, now.Factory, now.Runtime, now.ServerUrl);
        else if (refusal is not null && refusal.At > _lastRefusal)
            NodeEvents.RegistrationRefused(logger, refusal.ServerUrl, refusal.Message);
        if (refusal is not null)
            _lastRefusal = refusal.At;
    }
}
