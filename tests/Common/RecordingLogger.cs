using Microsoft.Extensions.Logging;

namespace DuckEmbed.Tests;

/// <summary>Keeps every line logged, so that a test can check what was said.</summary>
internal sealed class RecordingLogger : ILogger
{
    public List<string> Lines { get; } = [];

    /// <summary>The lines with their level, as "Warning: …".</summary>
    public List<string> LevelLines { get; } = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Lines)
        {
            Lines.Add(formatter(state, exception));
            LevelLines.Add($"{logLevel}: {formatter(state, exception)}");
        }
    }
}
