using System.Diagnostics;

namespace DuckEmbed.Processor.Pipeline;

/// <summary>The design's SimpleTimer: total time since start, and time since the last lap.</summary>
internal sealed class SimpleTimer
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _lastLap;

    public SimpleTimer() => _lastLap = _started;

    /// <summary>Time since the timer was created.</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_started);

    /// <summary>Time since the previous lap (or the start), and starts a new lap.</summary>
    public TimeSpan Lap()
    {
        var now = Stopwatch.GetTimestamp();
        var lap = Stopwatch.GetElapsedTime(_lastLap, now);
        _lastLap = now;
        return lap;
    }
}
