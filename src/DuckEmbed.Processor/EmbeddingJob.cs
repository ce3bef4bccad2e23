namespace DuckEmbed.Processor;

/// <summary>
/// What to embed and where to put it: one run's settings. Identifiers are names, never SQL: they are quoted
/// wherever they are used.
/// </summary>
public sealed record EmbeddingJob
{
    /// <summary>Default of <see cref="WindowSize"/>.</summary>
    public const int DefaultWindowSize = 1024;

    /// <summary>Largest <see cref="WindowSize"/>: ~2 GB of texts and vectors at the most.</summary>
    public const int MaxWindowSize = 1 << 20;

    /// <summary>
    /// Default of <see cref="Writers"/>: one per four cores, two to four. DuckDB's insert runs on that many threads;
    /// on two cores, two write 1M rows at 0.83 × DuckDB's own bulk copy of them, one at 0.62 × (BENCHMARKS.md, "Write path").
    /// </summary>
    public static int DefaultWriters { get; } = Math.Clamp(Environment.ProcessorCount / 4, 2, 4);

    /// <summary>Most <see cref="Writers"/>.</summary>
    public const int MaxWriters = 16;

    /// <summary>Default of <see cref="DuckDbMemoryLimit"/>.</summary>
    public const string DefaultDuckDbMemoryLimit = "256MB";

    /// <summary>The DuckDB file holding the texts. It is opened read-only and never modified.</summary>
    public required string InputDatabasePath { get; init; }

    /// <summary>The DuckDB file to write; created if missing, reopened to resume if present.</summary>
    public required string OutputDatabasePath { get; init; }

    /// <summary>The table with the texts (<c>table</c> or <c>schema.table</c>).</summary>
    public required string InputTable { get; init; }

    /// <summary>A column that identifies each row uniquely; rows are processed in its order.</summary>
    public required string IdColumn { get; init; }

    /// <summary>The column with the texts.</summary>
    public required string TextColumn { get; init; }

    /// <summary>The table to create in the output database.</summary>
    public required string OutputTable { get; init; }

    /// <summary>Default of <see cref="VectorColumn"/>.</summary>
    public const string DefaultVectorColumn = "vector";

    /// <summary>The name of the output column holding the embedding.</summary>
    public string VectorColumn { get; init; } = DefaultVectorColumn;

    /// <summary>
    /// The vector column's type for a new output table (<c>FLOAT[N]</c> by default); an existing table is resumed
    /// whichever of the two types it has.
    /// </summary>
    public VectorColumnType VectorType { get; init; } = VectorColumnType.Array;

    /// <summary>
    /// How the vectors are stored: the model's floats (the default), int8 codes with each dimension's range from a
    /// calibration sample of the input (4 × smaller), or sign bits (32 × smaller). One table holds one precision.
    /// </summary>
    public VectorPrecision VectorPrecision { get; init; } = VectorPrecision.Float32;

    /// <summary>Texts of the input embedded to find int8's ranges (the same rows in every shard: the first by a hash of their id).</summary>
    public const int Int8CalibrationRows = 1000;

    /// <summary>
    /// Rows read and embedded together (one call of the generator); a window is never larger than the rows left. A
    /// larger window lets a generator that sorts by length pad less and keeps a GPU fed; every row of a window is in
    /// memory at once. Windows are committed in groups (see <see cref="CommitInterval"/>).
    /// </summary>
    public int WindowSize { get; init; } = DefaultWindowSize;

    /// <summary>
    /// DuckDB threads writing the output at once, each a row group per commit (or, for syncs, list columns and
    /// TIMESTAMPTZ ids, appenders, each on its own connection): next to a GPU the writing is the run's slowest stage.
    /// Windows then commit out of id order, which resuming does not mind (it takes the input rows not in the output).
    /// </summary>
    public int Writers { get; init; } = DefaultWriters;

    /// <summary>
    /// The longest a written window waits for its commit. A commit holds a DuckDB row group per writer (122,880 rows,
    /// which DuckDB writes straight into the file, at about twice the speed of small commits), or what was written
    /// before the first row waited this long, whichever comes first: a kill loses at most this much work (or those
    /// row groups'), never a row.
    /// </summary>
    public TimeSpan CommitInterval { get; init; } = DefaultCommitInterval;

    /// <summary>
    /// Refuse a run whose output (with DuckDB's write-ahead log and spill) will not fit in the free space of the
    /// output's folder, before anything is written. Off: run anyway; a disk that fills keeps every committed row.
    /// </summary>
    public bool CheckDiskSpace { get; init; } = true;

    /// <summary>Default of <see cref="CommitInterval"/>.</summary>
    public static TimeSpan DefaultCommitInterval { get; } = TimeSpan.FromSeconds(10);

    /// <summary>Default of <see cref="GeneratorCalls"/>.</summary>
    public const int DefaultGeneratorCalls = 2;

    /// <summary>Most <see cref="GeneratorCalls"/>.</summary>
    public const int MaxGeneratorCalls = 8;

    /// <summary>
    /// Windows with the generator at once (concurrent <c>GenerateAsync</c> calls, which Microsoft.Extensions.AI
    /// expects every generator to support). With two, a generator prepares the next window — tokenizes it — while
    /// its device still runs the one before, so a GPU does not wait for the CPU between windows. Windows then finish
    /// out of id order, which resuming does not mind.
    /// </summary>
    public int GeneratorCalls { get; init; } = DefaultGeneratorCalls;

    /// <summary>
    /// What else determines the vectors (model hash, pooling, maximum length …). Recorded in the output with the model
    /// id and dimensions; resuming with different values is refused. Empty (the default): the processor asks the
    /// generator, as <see cref="Microsoft.Extensions.AI.IEmbeddingGenerator.GetService"/> for an
    /// <c>IReadOnlyDictionary&lt;string, string&gt;</c> under the key <see cref="GeneratorSettingsKey"/>, so that a
    /// program reusing the processor records them without copying them.
    /// </summary>
    public IReadOnlyDictionary<string, string> GeneratorSettings { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The service key under which a generator gives its settings (<see cref="GeneratorSettings"/>) to the processor:
    /// <c>generator.GetService(typeof(IReadOnlyDictionary&lt;string, string&gt;), "duckembed.generator_settings")</c>.
    /// </summary>
    public const string GeneratorSettingsKey = "duckembed.generator_settings";

    /// <summary>
    /// The key in <see cref="Microsoft.Extensions.AI.EmbeddingGenerationOptions.AdditionalProperties"/> under which the
    /// processor gives a generator a <see cref="Memory{T}"/> of floats, texts × dimensions long and reused window after
    /// window, to write its vectors into (each embedding a slice of it) instead of allocating them. A generator may
    /// ignore it; one that writes there must not keep or touch the memory after its call returns.
    /// </summary>
    public const string VectorDestinationKey = "duckembed.vector_destination";

    /// <summary>The settings that describe <paramref name="generator"/>: <see cref="GeneratorSettings"/>, or the generator's own.</summary>
    internal IReadOnlyDictionary<string, string> GeneratorSettingsOf(Microsoft.Extensions.AI.IEmbeddingGenerator generator) =>
        GeneratorSettings.Count > 0 ? GeneratorSettings
        : generator.GetService(typeof(IReadOnlyDictionary<string, string>), GeneratorSettingsKey) as IReadOnlyDictionary<string, string>
            ?? GeneratorSettings;

    /// <summary>Drop an existing output table (and its record) and start over instead of resuming.</summary>
    public bool Overwrite { get; init; }

    /// <summary>
    /// Bring an existing output up to date with an input that changed, instead of refusing it: rows whose ids are gone
    /// from the input are deleted, rows whose text changed are embedded again (each new row replaces its old one in
    /// the same commit), new ids are embedded, every other row is left as it is. Without an output, a sync is a run.
    /// </summary>
    public bool Sync { get; init; }

    /// <summary>
    /// For a sync: the rows whose ids are gone from the input are not dropped but moved, with the time
    /// (<c>deleted_at</c>), into the table <c>&lt;output_table&gt;_deleted</c> beside the output table, in the transaction
    /// that deletes them.
    /// </summary>
    public bool KeepDeletedRows { get; init; }

    /// <summary>Where a sync with <see cref="KeepDeletedRows"/> keeps the rows of ids gone from the input.</summary>
    public string DeletedRowsTable => OutputTable + "_deleted";

    /// <summary>
    /// Memory the DuckDB instance that reads the input and writes the output may use for its buffers, in DuckDB's notation
    /// (<c>256MB</c>, <c>2GB</c>). What does not fit spills to disk beside the output, so memory stays flat in the
    /// table size; more rarely helps, since the texts stream through.
    /// </summary>
    public string DuckDbMemoryLimit { get; init; } = DefaultDuckDbMemoryLimit;

    /// <summary>Most rows this run embeds (after those already in the output); <c>null</c> for all.</summary>
    public long? MaxRows { get; init; }

    /// <summary>
    /// The shard of the input this run embeds (its rows by <see cref="ShardSelection"/>'s hash of the id), or
    /// <c>null</c> for all rows. <see cref="OutputDatabasePath"/> is then the shard's own file
    /// (<see cref="ShardSelection.PathFor"/>).
    /// </summary>
    public ShardSelection? Shard { get; init; }
}
