using System.CommandLine;
using Ferry.Cli.Commands;

Ferry.Contracts.Hosting.InvariantCulture.Apply();

var globals = new GlobalOptions();
var root = new RootCommand("ferry: the client for a Ferry control plane (ferry-server)");
globals.AddTo(root);
root.Subcommands.Add(IntegrationRuntimeCommands.Build(globals));
root.Subcommands.Add(FactoryResourceCommands.Build(globals, "linked-service", "linkedservices", "linked service"));
root.Subcommands.Add(FactoryResourceCommands.Build(globals, "dataset", "datasets", "dataset"));
var pipeline = FactoryResourceCommands.Build(globals, "pipeline", "pipelines", "pipeline");
RunCommands.AddRunTo(pipeline, globals);
root.Subcommands.Add(pipeline);
root.Subcommands.Add(RunCommands.Build(globals));
root.Subcommands.Add(AlertCommands.Build(globals));
root.Subcommands.Add(SupportLogCommands.Build(globals));
return await root.Parse(args).InvokeAsync();
