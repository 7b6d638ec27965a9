using System.CommandLine;

namespace Ferry.Cli.Commands;

/// <summary>`ferry support-log show --id ID`: the logs a node sent with dmgcmd -SendLogs.</summary>
public static class SupportLogCommands
{
    public static Command Build(GlobalOptions g)
    {
        var command = new Command("support-log", "Logs nodes sent for support (dmgcmd -SendLogs)");
        var id = new Option<string>("--id") { Description = "The id dmgcmd -SendLogs printed", Required = true };
        var show = new Command("show", "Show the logs a node sent, with its runtime, name and time") { id };
        show.SetAction((p, ct) => g.RunAsync(p, (api, c) =>
            api.SendAsync(HttpMethod.Get, $"/factories/{Uri.EscapeDataString(api.Factory)}/supportLogs/{Uri.EscapeDataString(p.GetValue(id)!)}", null, c), ct));
        command.Subcommands.Add(show);
        return command;
    }
}
