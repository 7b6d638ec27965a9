using System.CommandLine;
using System.Text.Json.Nodes;

namespace Ferry.Cli.Commands;

/// <summary>`ferry alert create|list|show|delete`: rules that POST to a webhook when a node or runtime leaves Online, or a node falls silent.</summary>
public static class AlertCommands
{
    public static Command Build(GlobalOptions g)
    {
        var command = new Command("alert", "Alert rules: a webhook called when a node or runtime leaves Online, or a node falls silent");
        var name = new Option<string>("--name", "-n") { Description = "The rule's name", Required = true };
        string PathOf(Connection.ApiClient api, string? n = null) =>
            $"/factories/{Uri.EscapeDataString(api.Factory)}/alertRules" + (n is null ? "" : "/" + Uri.EscapeDataString(n));

        var webhook = new Option<string>("--webhook") { Description = "The URL the alert is POSTed to as JSON (kept sealed on the server)", Required = true };
        var runtime = new Option<string?>("--runtime") { Description = "The integration runtime to watch (default: every runtime of the factory)" };
        var silentFor = new Option<int?>("--silent-for") { Description = "Fire when a node that was reporting has been silent this many seconds, instead of when it leaves Online" };
        var create = new Command("create", "Create or replace an alert rule") { name, webhook, runtime, silentFor };
        create.SetAction((p, ct) => g.RunAsync(p, (api, c) =>
        {
            var properties = new JsonObject
            {
                ["condition"] = p.GetValue(silentFor) is null ? "leftOnline" : "silent",
                ["webhook"] = new JsonObject { ["url"] = p.GetValue(webhook) },
            };
            if (p.GetValue(runtime) is { } r) properties["runtime"] = r;
            if (p.GetValue(silentFor) is { } s) properties["silentForSeconds"] = s;
            return api.SendAsync(HttpMethod.Put, PathOf(api, p.GetValue(name)), new JsonObject { ["properties"] = properties }, c);
        }, ct));
        command.Subcommands.Add(create);

        var list = new Command("list", "List the factory's alert rules");
        list.SetAction((p, ct) => g.RunAsync(p, (api, c) => api.SendAsync(HttpMethod.Get, PathOf(api), null, c), ct));
        command.Subcommands.Add(list);

        var show = new Command("show", "Show an alert rule with its last deliveries") { name };
        show.SetAction((p, ct) => g.RunAsync(p, (api, c) => api.SendAsync(HttpMethod.Get, PathOf(api, p.GetValue(name)), null, c), ct));
        command.Subcommands.Add(show);

        var delete = new Command("delete", "Delete an alert rule") { name };
        delete.SetAction((p, ct) => g.RunAsync(p, async (api, c) =>
        {
            await api.SendAsync(HttpMethod.Delete, PathOf(api, p.GetValue(name)), null, c);
            return null;
        }, ct));
        command.Subcommands.Add(delete);
        return command;
    }
}
