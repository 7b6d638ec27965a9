using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Ferry.Events;

/// <summary>
/// The event log: every event Ferry itself logs (an event id, Information or above) as one JSON line in
/// <c>events.jsonl</c> in the data dir, with its time, level, id, name, source and message and each named value of
/// its message. The file is rotated at <see cref="MaxBytes"/> into events.1.jsonl … events.4.jsonl, so the log never
/// grows past five files. Lines are written by one background writer, so logging never waits for the disk. The
/// console (journald under systemd) and, on Windows, the Event Log get the same events from their own providers.
/// Shared by ferry-node and ferry-server (linked into both).
/// </summary>
public sealed class EventLogFile : ILoggerProvider
{
    public const string FileName = "events.jsonl";
    public const int KeptFiles = 5;
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly string _folder;
    private readonly Channel<string> _lines = Channel.CreateBounded<string>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly Task _writer;

    public EventLogFile(string folder, long maxBytes = 10 * 1024 * 1024)
    {
        _folder = folder;
        MaxBytes = maxBytes;
        _writer = Task.Run(WriteAsync);
    }

    public long MaxBytes { get; }

    public ILogger CreateLogger(string categoryName) => new EventLogger(this, categoryName);

    /// <summary>Every file of the log, oldest first.</summary>
    public static IEnumerable<string> Files(string folder) =>
        Enumerable.Range(1, KeptFiles - 1).Reverse().Select(i => Path.Combine(folder, $"events.{i}.jsonl")).Append(Path.Combine(folder, FileName)).Where(File.Exists);

    private void Write(string line) => _lines.Writer.TryWrite(line);

    private async Task WriteAsync()
    {
        var path = Path.Combine(_folder, FileName);
        await foreach (var line in _lines.Reader.ReadAllAsync())
        {
            try
            {
                var batch = new StringBuilder(line).Append('\n');
                // A batch never outgrows a file, so the files keep to their size however busy the writer is.
                while (batch.Length < Math.Min(64 * 1024, MaxBytes) && _lines.Reader.TryRead(out var more))
                    batch.Append(more).Append('\n');
                if (File.Exists(path) && new FileInfo(path).Length + batch.Length > MaxBytes)
                    Rotate();
                await File.AppendAllTextAsync(path, batch.ToString());
            }
            catch (IOException)
            {
                // A full or missing disk must not take the service down: the console still has the event.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private void Rotate()
    {
        File.Delete(Path.Combine(_folder, $"events.{KeptFiles - 1}.jsonl"));
        for (var i = KeptFiles - 2; i >= 1; i--)
        {
            var from = Path.Combine(_folder, $"events.{i}.jsonl");
            if (File.Exists(from))
                File.Move(from, Path.Combine(_folder, $"events.{i + 1}.jsonl"));
        }
        File.Move(Path.Combine(_folder, FileName), Path.Combine(_folder, "events.1.jsonl"));
    }

    public void Dispose()
    {
        _lines.Writer.TryComplete();
        _writer.Wait(TimeSpan.FromSeconds(5));
    }

    private sealed class EventLogger(EventLogFile file, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information && category.StartsWith("Ferry", StringComparison.Ordinal);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel) || eventId.Id == 0)
                return;
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer, WriterOptions))
            {
                json.WriteStartObject();
                json.WriteString("time", DateTimeOffset.UtcNow);
                json.WriteString("level", logLevel.ToString());
                json.WriteNumber("id", eventId.Id);
                if (eventId.Name is { } name)
                    json.WriteString("event", name);
                json.WriteString("source", category);
                json.WriteString("message", formatter(state, exception));
                if (state is IReadOnlyList<KeyValuePair<string, object?>> values)
                {
                    foreach (var (key, value) in values)
                    {
                        if (key != "{OriginalFormat}")
                            json.WriteString(char.ToLowerInvariant(key[0]) + key[1..], Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                    }
                }
                json.WriteEndObject();
            }
            file.Write(Encoding.UTF8.GetString(buffer.ToArray()));
        }
    }
}
