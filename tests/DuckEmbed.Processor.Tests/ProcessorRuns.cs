using Microsoft.Extensions.Logging.Abstractions;

namespace DuckEmbed.Processor.Tests;

/// <summary>Runs of the processor that tests start and stop on purpose.</summary>
internal static class ProcessorRuns
{
    /// <summary>Runs <paramref name="job"/> and cancels it as the generator is called for the <paramref name="stopAtCall"/>-th time.</summary>
    public static async Task RunCancelledAtCallAsync(EmbeddingJob job, int windowSize, int stopAtCall, HashEmbeddingGenerator? generator = null)
    {
        using var stop = new CancellationTokenSource();
        var stopping = new HashEmbeddingGenerator { BeforeCall = call => { if (call == stopAtCall) { stop.Cancel(); } }, Settings = generator?.Settings };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            EmbeddingProcessor.ProcessAsync(job with { WindowSize = windowSize }, stopping, NullLogger.Instance, cancellationToken: stop.Token));
    }
}
