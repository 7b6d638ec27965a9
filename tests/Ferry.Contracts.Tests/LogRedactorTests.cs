using Ferry.Contracts.Keys;
using Ferry.Contracts.Logs;

namespace Ferry.Contracts.Tests;

public sealed class LogRedactorTests
{
    [Theory]
    [InlineData("Host=db;Username=app;Password=Tr0ub4dor&3;Database=sales", "Host=db;Username=app;Password=***;Database=sales")]
    [InlineData("connecting with pwd = hunter2, then retrying", "connecting with pwd = ***, then retrying")]
    [InlineData("{\"type\": \"PostgreSqlV2\", \"password\": \"p\\\"w\", \"port\": 5432}", "{\"type\": \"PostgreSqlV2\", \"password\": \"***\", \"port\": 5432}")]
    [InlineData("Authorization: Bearer eyJhbGciOi.JIUzI1Ni.sig", "Authorization: Bearer ***")]
    [InlineData("Authorization: FerryNode id=5,ts=17,sig=abc==", "Authorization: FerryNode ***")]
    [InlineData("the heartbeat failed: connection refused (127.0.0.1:8080)", "the heartbeat failed: connection refused (127.0.0.1:8080)")]
    public void Secrets_are_masked_and_everything_else_is_kept(string line, string expected) => Assert.Equal(expected, LogRedactor.Redact(line));

    [Fact]
    public void An_authentication_key_is_masked_whole()
    {
        var key = new AuthKey("https://ferry.example", "default", "ir1", Guid.NewGuid(), "authKey1", 1, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).Format();
        Assert.Equal("registering with *** failed", LogRedactor.Redact($"registering with {key} failed"));
    }
}
