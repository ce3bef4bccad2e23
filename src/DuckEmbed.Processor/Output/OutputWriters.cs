using DuckDB.NET.Data;
using DuckEmbed.Processor.Database;
using DuckEmbed.Processor.Pipeline;
using Microsoft.Extensions.Logging;

namespace DuckEmbed.Processor.Output;

/// <summary>
/// A run's writers of the output table. Where the table function can give the table's columns exactly (ids of any
/// type but timestamps with a time zone, vectors in arrays) and rows are only added (not a sync), one
/// <see cref="ParallelInsertWriter"/> with <see cref="EmbeddingJob.Writers"/> DuckDB threads; otherwise that many
/// <see cref="OutputWriter"/>s, each on a connection of its own (the first on the job's own connection, the others
/// opened here and closed with them). Disposing drops what a writer has not committed.
/// </summary>
internal sealed class OutputWriters : IDisposable
{
    private readonly List<DuckDBConnection> _opened = [];
    private readonly List<IWindowWriter> _writers = [];

    public OutputWriters(JobDatabase database, OutputTable table, EmbeddingJob job, ILogger logger)
    {
        if (!job.Sync && table.VectorsAreArrays && ParallelInsertWriter.CanWrite(table.IdType))
        {
            logger.WritingInParallel(job.Writers);
            database.UseThreadsForParallelInsert(job.Writers);
            _writers.Add(new ParallelInsertWriter(table, database.Connection, job.CommitInterval, job.Writers));
            return;
        }
        logger.WritingWithAppenders(job.Writers);
        database.UseWritersThreadsOnly();
        try
        {
            _writers.Add(new OutputWriter(table, database.Connection, job.CommitInterval));
            for (var i = 1; i < job.Writers; i++)
            {
                _opened.Add(database.OpenReader());
                _writers.Add(new OutputWriter(table, _opened[^1], job.CommitInterval));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public IReadOnlyList<IWindowWriter> All => _writers;

    public void Dispose()
    {
        foreach (var writer in _writers)
        {
            ((IDisposable)writer).Dispose();
        }
        _opened.ForEach(c => c.Dispose());
    }
}
