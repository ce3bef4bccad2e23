using System.Globalization;

namespace DuckEmbed.Processor;

/// <summary>
/// One shard of a job split over several machines: shard <see cref="Index"/> of <see cref="Count"/> embeds the rows
/// whose id hashes to it, into a DuckDB file of its own beside the output, and <see cref="ShardMerger"/> puts the
/// shards together. The hash is fixed and documented, so every shard, every rerun and the merge agree: the first 8
/// bytes of the MD5 of the id's text (DuckDB's <c>id::VARCHAR</c>), read as a little-endian unsigned 64-bit number,
/// modulo <see cref="Count"/> — DuckDB's <c>md5_number_upper(id::VARCHAR) % Count</c>.
/// </summary>
/// <param name="Index">This shard, from 0.</param>
/// <param name="Count">How many shards the job is split into.</param>
public sealed record ShardSelection(int Index, int Count)
{
    /// <summary>The hash's name in the output's provenance; a shard file made with another is not resumed.</summary>
    public const string HashName = "md5_number_upper(id::VARCHAR) mod count, v1";

    /// <summary>The shard file of <paramref name="outputPath"/>: <c>output.shard-2-of-8.duckdb</c> beside <c>output.duckdb</c>.</summary>
    public string PathFor(string outputPath)
    {
        var full = Path.GetFullPath(outputPath);
        var name = Path.GetFileNameWithoutExtension(full);
        return Path.Combine(Path.GetDirectoryName(full)!, string.Create(CultureInfo.InvariantCulture,
            $"{name}.shard-{Index}-of-{Count}{Path.GetExtension(full)}"));
    }

    /// <summary>The SQL condition that holds for the rows of this shard; <paramref name="quotedId"/> is the id column.</summary>
    internal string Condition(string quotedId) => string.Create(CultureInfo.InvariantCulture, $"{ShardOf(quotedId, Count)} = {Index}");

    /// <summary>The SQL expression for the shard of the id <paramref name="quotedId"/> among <paramref name="count"/>.</summary>
    internal static string ShardOf(string quotedId, int count) => string.Create(CultureInfo.InvariantCulture,
        $"md5_number_upper(({quotedId})::VARCHAR) % {count}");

    /// <summary>
    /// Most shards a job may be split into: a file each, all attached at merge time. More than a cluster has nodes is a
    /// typo (2147483647 shards would take the merge hours of attaching nothing).
    /// </summary>
    public const int MaxCount = 10_000;

    /// <summary>Refuses a shard outside 0 … count − 1, or a count outside 1 … <see cref="MaxCount"/>.</summary>
    internal void Validate()
    {
        if (Count < 1 || Index < 0 || Index >= Count)
        {
            throw new EmbeddingJobException(JobSetting.Shard, $"Shard {Index} of {Count}: the shard index must be from 0 to {Count - 1} and the count at least 1.");
        }
        CheckCount(Count);
    }

    internal static void CheckCount(int count)
    {
        if (count is < 1 or > MaxCount)
        {
            throw new EmbeddingJobException(JobSetting.Shard, string.Create(CultureInfo.InvariantCulture,
                $"The shard count must be from 1 to {MaxCount:N0}, not {count:N0}."));
        }
    }
}
