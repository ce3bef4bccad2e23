using DuckEmbed.Processor;

namespace DuckEmbed.Cli;

/// <summary>One batch size measured by <c>embed benchmark</c>.</summary>
/// <param name="BatchSize">The batch size measured.</param>
/// <param name="Summary">The run on the sample.</param>
/// <param name="PeakMegabytes">This process's peak resident memory while it ran.</param>
/// <param name="GpuMegabytes">GPU memory it took (<see cref="GpuMemoryMonitor"/>); <c>null</c> off CUDA or without nvidia-smi.</param>
internal sealed record BenchmarkResult(int BatchSize, EmbeddingRunSummary Summary, double PeakMegabytes, long? GpuMegabytes)
{
    public double RowsPerSecond => Summary.RowsPerSecond;
}
