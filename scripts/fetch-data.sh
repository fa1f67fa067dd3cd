#!/usr/bin/env bash
# Downloads a real dataset from its official source into DIR (default: data/ at the
# repository root, the loaders' default --data) and checks it.
#
#   scripts/fetch-data.sh NAME [DIR]     NAME: ml100k | ml1m | amazon | amazon-meta | iaac | all
#
# NEEDS INTERNET ACCESS and curl. On a machine without internet it cannot work: copy
# the files in by hand (layout below) or use the built-in synthetic dataset.
#   DIR/ml-100k/{u.data,u.user,u.item}         GroupLens ml-100k.zip
#   DIR/ml-1m/{ratings,users,movies}.dat       GroupLens ml-1m.zip
#   DIR/amazon/ratings_Electronics.csv         McAuley et al. (SNAP/UCSD), ratings only
#   DIR/amazon/meta_Electronics.json           optional item categories (same source)
#   DIR/iaac/round1_ijcai_18_train_20180301.txt  Tianchi (needs a login: instructions printed)
# Checks: the zip's MD5 as GroupLens publishes it, and the SHA-256 of files whose
# digest is known; for other files the SHA-256 is printed so it can be recorded.
set -euo pipefail

GROUPLENS=https://files.grouplens.org/datasets/movielens
SNAP=http://snap.stanford.edu/data/amazon/productGraph/categoryFiles
TIANCHI=https://tianchi.aliyun.com/competition/entrance/231647/information

# Known SHA-256 of extracted files (the byte-exact copies in ../shared/data).
declare -A SHA256=(
    [ml-100k/u.data]=06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490
    [ml-1m/users.dat]=1dc3a95300cb19f7c10e027daf29b8cdf1d908dab65b5edfb45950aa389a10a3
    [ml-1m/movies.dat]=0140fc2356357c1a851d0f52e893a1e4d3696df632c4141cea8d5bc3d621f0b9
)

usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    exit 2
}

die() { echo "fetch-data: $*" >&2; exit 1; }

need() { command -v "$1" >/dev/null 2>&1 || die "needs '$1' (install it, e.g. apt-get install $2)"; }

# download URL OUT: to OUT.part, then renamed (an interrupted download leaves no OUT).
download() {
    local url=$1 out=$2
    echo "fetch-data: downloading $url (needs internet access)"
    if ! curl -fL --retry 3 --connect-timeout 20 -o "$out.part" "$url"; then
        rm -f "$out.part"
        die "download failed: $url (no internet on this machine? copy the files in by hand)"
    fi
    mv "$out.part" "$out"
}

# check_sha REL: compares DIR/REL against the known digest, or prints it.
check_sha() {
    local rel=$1 got
    got=$(sha256sum "$DIR/$rel" | cut -d' ' -f1)
    if [ -n "${SHA256[$rel]:-}" ]; then
        [ "$got" = "${SHA256[$rel]}" ] || die "$DIR/$rel: sha256 $got, expected ${SHA256[$rel]}"
        echo "fetch-data: $rel sha256 ok"
    else
        echo "fetch-data: $rel sha256 $got (no published digest to compare with)"
    fi
}

# grouplens NAME: ml-100k or ml-1m zip, MD5 checked against GroupLens' .md5 file.
grouplens() {
    local name=$1 zip="$DIR/$1.zip" want got
    need unzip unzip
    download "$GROUPLENS/$name.zip" "$zip"
    if want=$(curl -fsL "$GROUPLENS/$name.zip.md5" | grep -oE '[0-9a-f]{32}' | head -1) && [ -n "$want" ]; then
        got=$(md5sum "$zip" | cut -d' ' -f1)
        [ "$got" = "$want" ] || die "$zip: md5 $got, GroupLens publishes $want"
        echo "fetch-data: $name.zip md5 ok"
    else
        echo "fetch-data: could not read $GROUPLENS/$name.zip.md5; zip not verified"
    fi
    unzip -oq "$zip" -d "$DIR"
    rm -f "$zip"
}

fetch() {
    case $1 in
    ml100k)
        grouplens ml-100k
        check_sha ml-100k/u.data ;;
    ml1m)
        grouplens ml-1m
        check_sha ml-1m/users.dat
        check_sha ml-1m/movies.dat
        check_sha ml-1m/ratings.dat ;;
    amazon)
        mkdir -p "$DIR/amazon"
        download "$SNAP/ratings_Electronics.csv" "$DIR/amazon/ratings_Electronics.csv"
        check_sha amazon/ratings_Electronics.csv
        echo "fetch-data: item categories are optional: scripts/fetch-data.sh amazon-meta" ;;
    amazon-meta)
        mkdir -p "$DIR/amazon"
        need gzip gzip
        download "$SNAP/meta_Electronics.json.gz" "$DIR/amazon/meta_Electronics.json.gz"
        gzip -dc "$DIR/amazon/meta_Electronics.json.gz" > "$DIR/amazon/meta_Electronics.json.part"
        mv "$DIR/amazon/meta_Electronics.json.part" "$DIR/amazon/meta_Electronics.json"
        rm -f "$DIR/amazon/meta_Electronics.json.gz"
        check_sha amazon/meta_Electronics.json ;;
    iaac)
        local f="$DIR/iaac/round1_ijcai_18_train_20180301.txt"
        if [ -f "$f" ]; then
            [ "$(head -c 11 "$f")" = "instance_id" ] || die "$f: the first line should be the header (instance_id ...)"
            echo "fetch-data: $f present ($(wc -l < "$f") lines)"
            check_sha iaac/round1_ijcai_18_train_20180301.txt
            return
        fi
        cat <<EOF
fetch-data: IJCAI-18 (IAAC) is distributed by Alibaba Tianchi and needs a (free) login,
so it cannot be fetched with curl. By hand:
  1. open $TIANCHI and sign in;
  2. download the round-1 training data (round1_ijcai_18_train_20180301.zip);
  3. unzip it so that this file exists:
       $f
  4. run scripts/fetch-data.sh iaac again to check it.
EOF
        exit 1 ;;
    all)
        for n in ml100k ml1m amazon iaac; do fetch $n; done ;;
    *)
        usage ;;
    esac
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
case $1 in -h|--help) usage ;; esac
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${2:-$ROOT/data}
[ "$1" = iaac ] || need curl curl
mkdir -p "$DIR"
fetch "$1"
echo "fetch-data: done; load it with: ./apg data info --dataset ${1/-meta/} --data $DIR"
