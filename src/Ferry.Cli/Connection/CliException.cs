namespace Ferry.Cli.Connection;

/// <summary>An error to show the user as it is, without a stack trace; the CLI exits non-zero.</summary>
public sealed class CliException(string message) : Exception(message);
