package io.twotower.job.online;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Raw id to dense index, growing: a new id gets the next index, so indices never collide. */
public final class Vocabulary {
    private final Map<String, Integer> index = new HashMap<>();
    private final List<String> ids = new ArrayList<>();

    public static Vocabulary of(String[] idsByIndex) {
        Vocabulary v = new Vocabulary();
        for (String id : idsByIndex) {
            v.add(id);
        }
        return v;
    }

    /** The index of {@code id}, or -1 when unknown. */
    public int indexOf(String id) {
        Integer i = index.get(id);
        return i == null ? -1 : i;
    }

    /** The index of {@code id}, adding it when new. */
    public int add(String id) {
        Integer i = index.get(id);
        if (i != null) {
            return i;
        }
        int next = ids.size();
        index.put(id, next);
        ids.add(id);
        return next;
    }

    public int size() {
        return ids.size();
    }

    public List<String> ids() {
        return ids;
    }

    public void write(DataOutputStream out) throws IOException {
        out.writeInt(ids.size());
        for (String id : ids) {
            out.writeUTF(id);
        }
    }

    public static Vocabulary read(DataInputStream in) throws IOException {
        int n = in.readInt();
        Vocabulary v = new Vocabulary();
        for (int i = 0; i < n; i++) {
            v.add(in.readUTF());
        }
        return v;
    }
}
