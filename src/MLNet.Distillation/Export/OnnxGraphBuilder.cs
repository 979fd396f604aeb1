using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;

namespace MLNet.Distillation.Export;

/// <summary>ONNX tensor element types used by the writer (values of onnx.TensorProto.DataType).</summary>
internal enum OnnxElementType
{
    Float = 1, UInt8 = 2, Int8 = 3, UInt16 = 4, Int16 = 5, Int32 = 6, Int64 = 7, String = 8, Bool = 9, Double = 11, UInt32 = 12, UInt64 = 13,
}

/// <summary>
/// A small writer for ONNX models (the onnx.proto ModelProto/GraphProto/NodeProto/TensorProto messages), enough for the
/// feed-forward graphs a student compiles to. It encodes protobuf directly with <see cref="CodedOutputStream"/>, so the
/// library needs no generated ONNX classes. Field numbers follow onnx.proto (IR version 8; the default operator set, plus
/// any declared with <see cref="UseDomain"/>).
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly List<byte[]> _nodes = new();
    private readonly List<byte[]> _initializers = new();
    private readonly List<byte[]> _inputs = new();
    private readonly List<byte[]> _outputs = new();
    private readonly Dictionary<string, string> _metadata = new();
    private readonly Dictionary<string, int> _opsets = new();
    private int _nodeCounter;

    public OnnxGraphBuilder(string graphName, int opset = 13)
    {
        GraphName = graphName;
        Opset = opset;
        _opsets[""] = opset;
    }

    public string GraphName { get; }
    public int Opset { get; }
    public string DocString { get; set; } = "";

    /// <summary>Metadata key of the graph checksum (see <see cref="RecordGraphHash"/>).</summary>
    public const string GraphHashKey = "mlnet_distillation.graph_sha256";

    /// <summary>
    /// When set, the model's metadata records the SHA-256 of the serialised graph (every node and weight) under
    /// <see cref="GraphHashKey"/>, lower-case hex, so that a reader can tell a damaged graph (<see cref="SavedStudentCheck"/>).
    /// </summary>
    public bool RecordGraphHash { get; set; }

    private readonly Dictionary<string, (OnnxElementType Type, long?[] Dims)> _inputTypes = new();

    /// <summary>
    /// Declares a graph input; a null dimension is symbolic, named by <paramref name="symbolicName"/> (the first one) and
    /// <paramref name="otherSymbolicName"/> (any later one, so that two unknown sizes are not declared equal).
    /// </summary>
    public void AddInput(string name, OnnxElementType type, long?[] dims, string symbolicName = "batch", string otherSymbolicName = "length")
    {
        _inputs.Add(ValueInfo(name, type, dims, symbolicName, otherSymbolicName));
        _inputTypes[name] = (type, dims);
    }

    /// <summary>The element type and dimensions (null: symbolic) of a declared graph input.</summary>
    public (OnnxElementType Type, long?[] Dims) InputOf(string name)
        => _inputTypes.TryGetValue(name, out var t) ? t : throw new InvalidOperationException($"'{name}' is not a declared graph input.");

    /// <summary>Declares a graph output.</summary>
    public void AddOutput(string name, OnnxElementType type, long?[] dims, string symbolicName = "batch")
        => _outputs.Add(ValueInfo(name, type, dims, symbolicName));

    /// <summary>Adds a float32 initializer (a constant weight).</summary>
    public string AddInitializer(string name, float[] values, params long[] dims)
    {
        _initializers.Add(FloatTensor(name, values, dims));
        return name;
    }

    /// <summary>Adds an int64 initializer.</summary>
    public string AddInitializer(string name, long[] values, params long[] dims)
    {
        _initializers.Add(Int64Tensor(name, values, dims));
        return name;
    }

    /// <summary>Adds a <c>Constant</c> node with float32 values: a constant that is no weight (parameter counts read initializers only).</summary>
    public string AddConstant(string name, float[] values, params long[] dims) => AddNode("Constant", [], name, ("value", new EncodedTensor(FloatTensor(name, values, dims))));

    /// <summary>Adds a <c>Constant</c> node with int64 values.</summary>
    public string AddConstant(string name, long[] values, params long[] dims) => AddNode("Constant", [], name, ("value", new EncodedTensor(Int64Tensor(name, values, dims))));

    /// <summary>A serialised TensorProto, as the value of a TENSOR attribute.</summary>
    private sealed record EncodedTensor(byte[] Bytes);

    private static byte[] FloatTensor(string name, float[] values, long[] dims) => Message(w =>
    {
        WritePackedInt64(w, 1, dims);
        w.WriteTag(2, WireFormat.WireType.Varint); w.WriteInt32((int)OnnxElementType.Float);
        w.WriteTag(8, WireFormat.WireType.LengthDelimited); w.WriteString(name);
        var raw = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw_data is little-endian.");
        w.WriteTag(9, WireFormat.WireType.LengthDelimited); w.WriteBytes(ByteString.CopyFrom(raw));
    });

    private static byte[] Int64Tensor(string name, long[] values, long[] dims) => Message(w =>
    {
        WritePackedInt64(w, 1, dims);
        w.WriteTag(2, WireFormat.WireType.Varint); w.WriteInt32((int)OnnxElementType.Int64);
        WritePackedInt64(w, 7, values);
        w.WriteTag(8, WireFormat.WireType.LengthDelimited); w.WriteString(name);
    });

    /// <summary>Adds a string initializer.</summary>
    public string AddInitializer(string name, string[] values, params long[] dims)
    {
        _initializers.Add(Message(w =>
        {
            WritePackedInt64(w, 1, dims);
            w.WriteTag(2, WireFormat.WireType.Varint); w.WriteInt32((int)OnnxElementType.String);
            foreach (var v in values) { w.WriteTag(6, WireFormat.WireType.LengthDelimited); w.WriteBytes(ByteString.CopyFrom(Encoding.UTF8.GetBytes(v))); }
            w.WriteTag(8, WireFormat.WireType.LengthDelimited); w.WriteString(name);
        }));
        return name;
    }

    /// <summary>Adds a node of the default domain; attributes are (name, value) with value a long, float, string, long[], float[] or string[].</summary>
    public string AddNode(string opType, string[] inputs, string output, params (string Name, object Value)[] attributes)
        => AddNode(opType, "", $"{opType}_{_nodeCounter++}", inputs, output, attributes);

    /// <summary>
    /// Adds a node of operator set <paramref name="domain"/> (declared with <see cref="UseDomain"/>; "" is the default domain)
    /// under the node name <paramref name="nodeName"/>.
    /// </summary>
    public string AddNode(string opType, string domain, string nodeName, string[] inputs, string output, params (string Name, object Value)[] attributes)
    {
        if (!_opsets.ContainsKey(domain)) throw new InvalidOperationException($"Operator set '{domain}' is not declared; call UseDomain first.");
        _nodes.Add(Message(w =>
        {
            foreach (var i in inputs) { w.WriteTag(1, WireFormat.WireType.LengthDelimited); w.WriteString(i); }
            w.WriteTag(2, WireFormat.WireType.LengthDelimited); w.WriteString(output);
            w.WriteTag(3, WireFormat.WireType.LengthDelimited); w.WriteString(nodeName);
            w.WriteTag(4, WireFormat.WireType.LengthDelimited); w.WriteString(opType);
            if (domain.Length > 0) { w.WriteTag(7, WireFormat.WireType.LengthDelimited); w.WriteString(domain); }
            foreach (var (attrName, value) in attributes)
            {
                w.WriteTag(5, WireFormat.WireType.LengthDelimited);
                w.WriteBytes(ByteString.CopyFrom(Attribute(attrName, value)));
            }
        }));
        return output;
    }

    /// <summary>Declares an operator set besides the default one (e.g. <c>ai.onnx.ml</c>, version 2).</summary>
    public void UseDomain(string domain, int version) => _opsets[domain] = version;

    /// <summary>Adds a key/value pair to the model's metadata_props.</summary>
    public void AddMetadata(string key, string value) => _metadata[key] = value;

    /// <summary>Serialises the ModelProto.</summary>
    public byte[] ToBytes()
    {
        var graph = Message(w =>
        {
            foreach (var n in _nodes) { w.WriteTag(1, WireFormat.WireType.LengthDelimited); w.WriteBytes(ByteString.CopyFrom(n)); }
            w.WriteTag(2, WireFormat.WireType.LengthDelimited); w.WriteString(GraphName);
            foreach (var t in _initializers) { w.WriteTag(5, WireFormat.WireType.LengthDelimited); w.WriteBytes(ByteString.CopyFrom(t)); }
            if (DocString.Length > 0) { w.WriteTag(10, WireFormat.WireType.LengthDelimited); w.WriteString(DocString); }
            foreach (var i in _inputs) { w.WriteTag(11, WireFormat.WireType.LengthDelimited); w.WriteBytes(ByteString.CopyFrom(i)); }
            foreach (var o in _outputs) { w.WriteTag(12, WireFormat.WireType.LengthDelimited); w.WriteBytes(ByteString.CopyFrom(o)); }
        });
        if (RecordGraphHash) _metadata[GraphHashKey] = Convert.ToHexStringLower(SHA256.HashData(graph));
        return Message(w =>
        {
            w.WriteTag(1, WireFormat.WireType.Varint); w.WriteInt64(8);                        // ir_version
            w.WriteTag(2, WireFormat.WireType.LengthDelimited); w.WriteString("MLNet.Distillation");   // producer_name
            w.WriteTag(3, WireFormat.WireType.LengthDelimited); w.WriteString(typeof(OnnxGraphBuilder).Assembly.GetName().Version?.ToString() ?? "0");
            w.WriteTag(7, WireFormat.WireType.LengthDelimited); w.WriteBytes(ByteString.CopyFrom(graph));
            foreach (var (domain, version) in _opsets)
            {
                w.WriteTag(8, WireFormat.WireType.LengthDelimited);                            // opset_import
                w.WriteBytes(ByteString.CopyFrom(Message(o =>
                {
                    o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(domain);
                    o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt64(version);
                })));
            }
            foreach (var (k, v) in _metadata)
            {
                w.WriteTag(14, WireFormat.WireType.LengthDelimited);
                w.WriteBytes(ByteString.CopyFrom(Message(m =>
                {
                    m.WriteTag(1, WireFormat.WireType.LengthDelimited); m.WriteString(k);
                    m.WriteTag(2, WireFormat.WireType.LengthDelimited); m.WriteString(v);
                })));
            }
        });
    }

    private static byte[] ValueInfo(string name, OnnxElementType type, long?[] dims, string symbolicName, string otherSymbolicName = "length")
        => Message(w =>
        {
            w.WriteTag(1, WireFormat.WireType.LengthDelimited); w.WriteString(name);
            var shape = Message(s =>
            {
                int symbolic = 0;
                foreach (var d in dims)
                {
                    s.WriteTag(1, WireFormat.WireType.LengthDelimited);
                    s.WriteBytes(ByteString.CopyFrom(Message(dim =>
                    {
                        if (d is long v) { dim.WriteTag(1, WireFormat.WireType.Varint); dim.WriteInt64(v); }
                        else { dim.WriteTag(2, WireFormat.WireType.LengthDelimited); dim.WriteString(symbolic++ == 0 ? symbolicName : otherSymbolicName); }
                    })));
                }
            });
            var tensorType = Message(t =>
            {
                t.WriteTag(1, WireFormat.WireType.Varint); t.WriteInt32((int)type);
                t.WriteTag(2, WireFormat.WireType.LengthDelimited); t.WriteBytes(ByteString.CopyFrom(shape));
            });
            var typeProto = Message(t => { t.WriteTag(1, WireFormat.WireType.LengthDelimited); t.WriteBytes(ByteString.CopyFrom(tensorType)); });
            w.WriteTag(2, WireFormat.WireType.LengthDelimited); w.WriteBytes(ByteString.CopyFrom(typeProto));
        });

    private static byte[] Attribute(string name, object value) => Message(w =>
    {
        w.WriteTag(1, WireFormat.WireType.LengthDelimited); w.WriteString(name);
        switch (value)
        {
            case float f:
                w.WriteTag(2, WireFormat.WireType.Fixed32); w.WriteFloat(f);
                w.WriteTag(20, WireFormat.WireType.Varint); w.WriteInt32(1); break;
            case long or int:
                w.WriteTag(3, WireFormat.WireType.Varint); w.WriteInt64(Convert.ToInt64(value));
                w.WriteTag(20, WireFormat.WireType.Varint); w.WriteInt32(2); break;
            case string s:
                w.WriteTag(4, WireFormat.WireType.LengthDelimited); w.WriteBytes(ByteString.CopyFrom(Encoding.UTF8.GetBytes(s)));
                w.WriteTag(20, WireFormat.WireType.Varint); w.WriteInt32(3); break;
            case float[] fs:
                foreach (var f in fs) { w.WriteTag(7, WireFormat.WireType.Fixed32); w.WriteFloat(f); }
                w.WriteTag(20, WireFormat.WireType.Varint); w.WriteInt32(6); break;
            case long[] ls:
                foreach (var l in ls) { w.WriteTag(8, WireFormat.WireType.Varint); w.WriteInt64(l); }
                w.WriteTag(20, WireFormat.WireType.Varint); w.WriteInt32(7); break;
            case EncodedTensor t:
                w.WriteTag(5, WireFormat.WireType.LengthDelimited); w.WriteBytes(ByteString.CopyFrom(t.Bytes));
                w.WriteTag(20, WireFormat.WireType.Varint); w.WriteInt32(4); break;
            case string[] ss:
                foreach (var s in ss) { w.WriteTag(9, WireFormat.WireType.LengthDelimited); w.WriteBytes(ByteString.CopyFrom(Encoding.UTF8.GetBytes(s))); }
                w.WriteTag(20, WireFormat.WireType.Varint); w.WriteInt32(8); break;
            default: throw new ArgumentException($"Unsupported ONNX attribute value type {value.GetType().Name} for '{name}'.");
        }
    });

    private static void WritePackedInt64(CodedOutputStream w, int field, long[] values)
    {
        if (values.Length == 0) return;
        var packed = Message(p => { foreach (var v in values) p.WriteInt64(v); });
        w.WriteTag(field, WireFormat.WireType.LengthDelimited);
        w.WriteBytes(ByteString.CopyFrom(packed));
    }

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var ms = new MemoryStream();
        using (var w = new CodedOutputStream(ms, leaveOpen: true)) { write(w); w.Flush(); }
        return ms.ToArray();
    }
}
