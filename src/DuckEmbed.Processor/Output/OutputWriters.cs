using DuckDB.NET.Data;
using DuckEmbed.Processor.Database;
using DuckEmbed.Processor.Pipeline;

namespace DuckEmbed.Processor.Output;

/// <summary>
/// A run's writers of the output table, each on a connection of its own (the first on the job's own connection, the
/// others opened here and closed with them). Disposing drops what a writer has not committed.
/// </summary>
internal sealed class OutputWriters : IDisposable
{
    private readonly List<DuckDBConnection> _opened = [];
    private readonly List<OutputWriter> _writers = [];

    public OutputWriters(JobDatabase database, OutputTable table, int count, TimeSpan commitInterval)
    {
        try
        {
            _writers.Add(new OutputWriter(table, database.Connection, commitInterval));
            for (var i = 1; i < count; i++)
            {
                _opened.Add(database.OpenReader());
                _writers.Add(new OutputWriter(table, _opened[^1], commitInterval));
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
        _writers.ForEach(w => w.Dispose());
        _opened.ForEach(c => c.Dispose());
    }
}
