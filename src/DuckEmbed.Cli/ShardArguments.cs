using System.Globalization;
using DuckEmbed.Processor;

namespace DuckEmbed.Cli;

/// <summary>
/// Which shard this process runs: <c>--shards N</c> with the index from <c>--shard I</c> or from the engine that
/// started it (a Slurm job array, a Kubernetes Indexed Job, an AWS Batch array job). Sources that disagree are an error.
/// </summary>
internal static class ShardArguments
{
    private static readonly string[] IndexVariables = ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"];

    /// <summary>The shard and where its index came from, or <c>(null, null)</c> without <c>--shards</c>.</summary>
    public static (ShardSelection? Shard, string? Source) Resolve(int? shards, int? shard, Func<string, string?> environment)
    {
        if (shards is null)
        {
            return shard is null ? (null, null) : throw new CliUsageException("--shard needs --shards N, the number of shards the job is split into.");
        }
        if (shards is < 1 or > ShardSelection.MaxCount)
        {
            throw new CliUsageException($"--shards must be from 1 to {ShardSelection.MaxCount:N0}, not {shards}.");
        }
        var sources = new List<(string Source, int Index)>();
        if (shard is { } given)
        {
            sources.Add(("--shard", given));
        }
        foreach (var variable in IndexVariables)
        {
            if (environment(variable) is { Length: > 0 } value)
            {
                sources.Add((variable, int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                    ? index
                    : throw new CliUsageException($"{variable} is '{value}', not a shard index.")));
            }
        }
        if (sources.Count == 0)
        {
            throw new CliUsageException($"--shards {shards} needs this process's shard: --shard I, or one of {string.Join(", ", IndexVariables)} (set by Slurm, Kubernetes and AWS Batch array jobs).");
        }
        if (sources.Select(s => s.Index).Distinct().Count() > 1)
        {
            throw new CliUsageException($"The shard index sources disagree: {string.Join(", ", sources.Select(s => $"{s.Source} = {s.Index}"))}.");
        }
        var selection = new ShardSelection(sources[0].Index, shards.Value);
        if (selection.Index >= selection.Count)
        {
            throw new CliUsageException($"{sources[0].Source} is {selection.Index}, but --shards {shards} has shards 0 to {shards - 1}.");
        }
        return (selection, sources[0].Source);
    }
}
