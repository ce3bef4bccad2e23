using DuckEmbed.Processor.Database;
using DuckEmbed.Processor.Output;

namespace DuckEmbed.Processor;

/// <summary>How far a run without shards is (<c>embed status</c>): rows done and left, what made them, when it last wrote.</summary>
/// <param name="InputRows">Rows of the input.</param>
/// <param name="RowsDone">Rows of the output whose ids are the input's (0 while <see cref="Running"/>: they cannot be counted).</param>
/// <param name="OutputExists">Whether the output file is there.</param>
/// <param name="Running">Another process has the output open for writing (a run in progress).</param>
/// <param name="Provenance">What made the output table (model, settings), as recorded with it; empty if nothing is.</param>
/// <param name="LastWrittenUtc">When the output file (or its write-ahead log) was last written; <c>null</c> without one.</param>
public sealed record RunStatus(long InputRows, long RowsDone, bool OutputExists, bool Running, IReadOnlyDictionary<string, string> Provenance,
    DateTime? LastWrittenUtc)
{
    /// <summary>Rows still to embed.</summary>
    public long RowsLeft => Math.Max(0, InputRows - RowsDone);

    /// <summary>Of <see cref="RowsDone"/>, rows whose text the input has changed since (<c>embed sync</c> embeds them again).</summary>
    public long RowsChanged { get; init; }

    /// <summary>Rows of the output whose ids the input no longer has (<c>embed sync</c> deletes them).</summary>
    public long RowsGone { get; init; }

    /// <summary>Reads the status of <paramref name="job"/>'s output, both databases opened read-only.</summary>
    /// <exception cref="EmbeddingJobException">The input cannot be read.</exception>
    public static RunStatus Of(EmbeddingJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var outputPath = Path.GetFullPath(job.OutputDatabasePath);
        using var database = JobDatabase.OpenForReading(job, out var input);
        var inputRows = input.RowCount;
        if (!File.Exists(outputPath))
        {
            return new RunStatus(inputRows, 0, false, false, new Dictionary<string, string>(), null);
        }
        var written = new[] { outputPath, outputPath + ".wal" }.Where(File.Exists).Max(File.GetLastWriteTimeUtc);
        const string catalog = "duckembed_output";
        if (!database.TryAttachReadOnly(outputPath, catalog, JobSetting.OutputDatabasePath))
        {
            return new RunStatus(inputRows, 0, true, true, new Dictionary<string, string>(), written);
        }
        var columns = OutputTable.ReadColumns(database.Connection, job.OutputTable, catalog);
        if (columns.Count == 0)
        {
            return new RunStatus(inputRows, 0, true, false, new Dictionary<string, string>(), written);
        }
        var stored = InputChanges.Compare(database.Connection, $"{catalog}.main.{SqlIdentifier.Quote(columns[0].Table)}", input);
        return new RunStatus(inputRows, stored.Rows - stored.Gone, true, false, new OutputProvenance(database.Connection, columns[0].Table, catalog).Read(), written)
        {
            RowsChanged = stored.Changed,
            RowsGone = stored.Gone,
        };
    }
}
