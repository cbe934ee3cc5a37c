#!/usr/bin/perl
# SPDX-License-Identifier: MIT
#
# kdoc2man.pl - section-3 man pages from the kernel-doc comments of uwq's
# public headers, one page per UWQ_API function, and the index of uwq(7).
#
#   kdoc2man.pl --list HEADER...        print the documented function names
#   kdoc2man.pl -o DIR [--date YYYY-MM-DD] [--version V] [--overview IN] HEADER...
#        write DIR/man3/<function>.3 for each UWQ_API function (pages
#        of functions no longer declared are removed) and, with
#        --overview, DIR/man7/uwq.7 from IN with its index filled in.
#        The date defaults to SOURCE_DATE_EPOCH's, else today's (UTC).
#
# The headers are the one source of truth. The comment shape read here is
# the subset of kernel-doc that include/uwq/*.h uses:
#
#   /**
#    * name() - summary, possibly several lines
#    * @param: description, continued on lines indented further
#    *
#    * Body paragraphs. Lines indented two spaces or more are verbatim.
#    * Context: who may call it. Return: what it returns.
#    */
#   UWQ_API type name(args);
#
# "Context:", "Return:", "Example:" and "Context and return:" start a
# section at the start of a line or after a sentence ends. A UWQ_API
# function with no comment of its own still gets a page, marked
# undocumented (tests/tools/man_check.sh fails on it), so the build never
# breaks over a comment. Perl with only core modules: the build needs
# nothing outside perl-base, which every Debian system has.
use strict;
use warnings;
use Getopt::Long;

my ($outdir, $list, $overview);
my $date = '';
my $version = 'uwq';
GetOptions('o=s' => \$outdir, 'list' => \$list, 'date=s' => \$date,
	   'version=s' => \$version, 'overview=s' => \$overview)
	or die "usage: kdoc2man.pl (--list | -o DIR) HEADER...\n";
die "kdoc2man.pl: no headers given\n" unless @ARGV;
if ($date eq '') {
	my @t = gmtime($ENV{SOURCE_DATE_EPOCH} // time);
	$date = sprintf('%04d-%02d-%02d', $t[5] + 1900, $t[4] + 1, $t[3]);
}
die "kdoc2man.pl: -o DIR or --list\n" unless $list || $outdir;

my @funcs;	# { name, header, file, line, proto, doc (undef: none) }
parse_header($_) for @ARGV;
my %has_page = map { $_->{name} => 1 } @funcs;

if ($list) {
	print "$_->{name}\n" for @funcs;
	exit 0;
}

my $status = 0;
mkdir $outdir;
mkdir "$outdir/man3";
my %written;
for my $f (@funcs) {
	my $page = "$outdir/man3/$f->{name}.3";
	write_file($page, render_page($f));
	$written{"$f->{name}.3"} = 1;
}
opendir(my $dh, "$outdir/man3") or die "kdoc2man.pl: $outdir/man3: $!\n";
for (readdir $dh) {
	unlink "$outdir/man3/$_" if /\.3$/ && !$written{$_};
}
closedir $dh;
if ($overview) {
	mkdir "$outdir/man7";
	write_file("$outdir/man7/uwq.7", render_overview($overview));
}
exit $status;

sub write_file {
	my ($path, $text) = @_;
	open(my $fh, '>', "$path.tmp") or die "kdoc2man.pl: $path: $!\n";
	print $fh $text;
	close $fh or die "kdoc2man.pl: $path: $!\n";
	rename "$path.tmp", $path or die "kdoc2man.pl: $path: $!\n";
}

# --- reading a header ---------------------------------------------------

sub parse_header {
	my ($file) = @_;
	open(my $fh, '<', $file) or die "kdoc2man.pl: $file: $!\n";
	my @lines = <$fh>;
	close $fh;
	chomp @lines;
	(my $header = $file) =~ s{.*/include/}{};
	$header = "uwq/$1" if $header eq $file && $file =~ m{([^/]+)$};

	my $doc;	# the last /** comment, while nothing but it precedes
	for (my $i = 0; $i < @lines; $i++) {
		my $l = $lines[$i];
		if ($l =~ m{^\s*/\*\*(.*)$}) {
			my ($first, @body) = ($1 =~ s{^\s+}{}r);
			my $start = $i + 1;
			if ($first =~ s{\s*\*/\s*$}{}) {
				@body = ($first);
			} else {
				push @body, $first if $first =~ /\S/;
				while (++$i < @lines && $lines[$i] !~ m{\*/}) {
					(my $t = $lines[$i]) =~ s{^\s*\*( |$)}{};
					push @body, $t;
				}
			}
			$doc = { lines => [ map { s/\s+$//r } @body ], line => $start };
			next;
		}
		if ($l =~ /^UWQ_API\b/) {
			my $decl = $l;
			my $at = $i + 1;
			$decl .= ' ' . $lines[++$i] while $decl !~ /[;{]/ && $i + 1 < @lines;
			if ($decl =~ /\(/ && $decl !~ /\bextern\b/) {
				my $f = parse_proto($decl, $file, $at);
				if ($f) {
					$f->{header} = $header;
					$f->{file} = $file;
					$f->{line} = $at;
					$f->{doc} = $doc ? parse_doc($doc, $f) : undef;
					warn "$file:$at: $f->{name}() has no kernel-doc comment\n"
						unless $f->{doc} || $list;
					push @funcs, $f;
				}
			}
			undef $doc;
			next;
		}
		undef $doc if $l =~ /\S/;
	}
}

sub parse_proto {
	my ($decl, $file, $line) = @_;
	$decl =~ s/\s+/ /g;
	$decl =~ s/^UWQ_API //;
	unless ($decl =~ /^(.*?)\b(uwq_\w+)\s*\((.*)\)\s*;/) {
		warn "$file:$line: cannot read the declaration '$decl'\n";
		return undef;
	}
	my ($ret, $name, $args) = ($1, $2, $3);
	$ret =~ s/\s+$//;
	my @args;
	my ($depth, $cur) = (0, '');
	for my $c (split //, $args) {
		$depth++ if $c eq '(';
		$depth-- if $c eq ')';
		if ($c eq ',' && $depth == 0) { push @args, $cur; $cur = ''; next; }
		$cur .= $c;
	}
	push @args, $cur;
	my @params;
	for my $a (@args) {
		$a =~ s/^\s+|\s+$//g;
		next if $a eq 'void' || $a eq '';
		if ($a =~ /^(.*\W)(\w+)$/) {
			my ($type, $pname) = ($1, $2);
			$type =~ s/\s+$//;
			$type .= ' ' unless $type =~ /\*$/;
			push @params, { type => $type, name => $pname };
		} else {
			warn "$file:$line: cannot read the parameter '$a' of $name()\n";
		}
	}
	return { name => $name, ret => $ret, params => \@params };
}

# A comment becomes: summary text, params [{names, text}], and blocks
# [{sections => [...], kind => 'p'|'pre', lines => [...]}].
sub parse_doc {
	my ($doc, $f) = @_;
	my @l = @{ $doc->{lines} };
	shift @l while @l && $l[0] !~ /\S/;
	my $where = "$f->{file}:$doc->{line}";
	unless (@l && $l[0] =~ /^(\w+)\(\)\s+-\s+(.*)$/) {
		warn "$where: kernel-doc comment does not start with 'name() - summary'\n";
		return undef;
	}
	my ($name, $summary) = ($1, $2);
	warn "$where: comment names $name() but documents $f->{name}()\n"
		if $name ne $f->{name};
	shift @l;
	my $sec = qr/(?:Context and return|Context|Return|Example):/;
	my $param = qr/^\@(\w+(?:\s*,\s*\@\w+)*):\s*(.*)$/;
	while (@l && $l[0] =~ /\S/ && $l[0] !~ $param && $l[0] !~ /^$sec/) {
		$summary .= ' ' . (shift(@l) =~ s/^\s+//r);
	}
	my @params;
	while (@l && $l[0] =~ $param) {
		my ($names, $text) = ($1, $2);
		shift @l;
		while (@l && $l[0] =~ /^\s+\S/) {
			$text .= ' ' . (shift(@l) =~ s/^\s+//r);
		}
		my @n = map { s/^\@//r } split /\s*,\s*/, $names;
		for my $n (@n) {
			warn "$where: \@$n is not a parameter of $f->{name}()\n"
				unless grep { $_->{name} eq $n } @{ $f->{params} };
		}
		push @params, { names => \@n, text => $text };
	}

	my @blocks;
	my @cur_secs = ('DESCRIPTION');
	my $para;
	my $flush = sub { undef $para; };
	my $add = sub {
		my ($kind, $text) = @_;
		if (!$para || $para->{kind} ne $kind) {
			$para = { secs => [ @cur_secs ], kind => $kind, lines => [] };
			push @blocks, $para;
		}
		push @{ $para->{lines} }, $text;
	};
	my %secname = ('Context' => ['CONTEXT'], 'Return' => ['RETURN VALUE'],
		       'Example' => ['EXAMPLES'],
		       'Context and return' => ['CONTEXT', 'RETURN VALUE']);
	for my $line (@l) {
		if ($line !~ /\S/) { $flush->(); next; }
		if ($line =~ /^\s{2,}\S/ && !($para && $para->{kind} eq 'p' && $line =~ /^\s*$sec/)) {
			$add->('pre', $line);
			next;
		}
		my $rest = $line =~ s/^\s+//r;
		while (length $rest) {
			if ($rest =~ /^(Context and return|Context|Return|Example):\s*(.*)$/) {
				$flush->();
				@cur_secs = @{ $secname{$1} };
				$rest = $2;
				next;
			}
			if ($rest =~ /^(.*?[.)])\s+((?:Context|Return):.*)$/) {
				$add->('p', $1);
				$rest = $2;
				next;
			}
			$add->('p', $rest);
			last;
		}
	}
	return { summary => $summary, params => \@params, blocks => \@blocks };
}

# --- writing roff ---------------------------------------------------------

# Plain text to roff: escapes, then @param in italics, function() and
# uwq_name( in bold, `code` in bold. Records uwq functions seen in %$refs.
sub inline {
	my ($t, $refs) = @_;
	$t =~ s/\\/\\e/g;
	$t =~ s/(?<![\w\\])-/\\-/g;
	$t =~ s/(?<![\w\\\@])(uwq_\w+)(?=\()/ref_name($1, $refs)/ge;
	$t =~ s/(?<![\w\\\@])([a-z_]\w*)\(\)/\\fB$1\\fP()/g;
	$t =~ s/\@(\w+)/\\fI$1\\fP/g;
	$t =~ s/`([^`]+)`/\\fB$1\\fP/g;
	return $t;
}

# Refill roff text to lines of at most 78 bytes (mandoc's style check
# wants 80), protecting a line that would start with a control character.
sub fill {
	my ($t) = @_;
	my @out;
	my $cur = '';
	for my $w (split ' ', $t) {
		if ($cur ne '' && length($cur) + 1 + length($w) > 78) {
			push @out, $cur;
			$cur = $w;
		} else {
			$cur = $cur eq '' ? $w : "$cur $w";
		}
	}
	push @out, $cur if $cur ne '';
	return join('', map { s/^([.'])/\\&$1/r . "\n" } @out);
}

sub ref_name {
	my ($n, $refs) = @_;
	$refs->{$n} = 1 if $has_page{$n};
	return "\\fB$n\\fP";
}

sub plain {
	my ($t) = @_;
	$t =~ s/\@(\w+)/$1/g;
	$t =~ s/`([^`]+)`/$1/g;
	$t =~ s/\\/\\e/g;
	$t =~ s/(?<![\w\\])-/\\-/g;
	return $t;
}

# The NAME line: the summary up to its first '.', ':' or ';' that is
# (or '?', kept) outside parentheses and followed by a space ("e.g." and "i.e." do not end).
sub first_sentence {
	my ($s) = @_;
	my $depth = 0;
	for (my $i = 0; $i < length $s; $i++) {
		my $c = substr($s, $i, 1);
		$depth++ if $c eq '(';
		$depth-- if $c eq ')' && $depth > 0;
		next unless $depth == 0 && $c =~ /[.:;?]/ && substr($s, $i + 1, 1) =~ /\s/;
		next if substr($s, 0, $i + 1) =~ /\b(?:e\.g|i\.e)\.$/;
		return substr($s, 0, $c eq '?' ? $i + 1 : $i);
	}
	return $s =~ s/[.:;]$//r;
}

sub capital {
	my ($s) = @_;
	$s =~ s/^([a-z])(?=[a-z]*[\s,;:.])/\u$1/;
	return $s;
}

sub pre_line {
	my ($t) = @_;
	$t =~ s/\\/\\e/g;
	$t =~ s/(?<![\w\\])-/\\-/g;
	$t =~ s/^([.'])/\\&$1/;
	return $t;
}

sub th {
	my ($title, $sec) = @_;
	return qq{.TH $title $sec "$date" "$version" "uwq Library Functions Manual"\n};
}

sub render_page {
	my ($f) = @_;
	my $d = $f->{doc};
	my %refs;
	my $o = ".\\\" Generated by man/kdoc2man.pl from include/$f->{header}; do not edit.\n";
	$o .= ".\\\" uwq-undocumented\n" unless $d;
	$o .= th(uc $f->{name}, 3);
	$o .= ".SH NAME\n";
	$o .= fill("$f->{name} \\- " . ($d ? plain(first_sentence($d->{summary})) : 'undocumented'));
	$o .= ".SH LIBRARY\nuwq library (\\fIlibuwq\\fP, \\fI\\-luwq\\fP)\n";
	$o .= ".SH SYNOPSIS\n.nf\n.B #include <$f->{header}>\n.PP\n";
	my $lead = ($f->{ret} =~ /\*$/ ? $f->{ret} : "$f->{ret} ") . "$f->{name}(";
	my @p = @{ $f->{params} };
	if (!@p) {
		$o .= qq{.B "${lead}void);"\n};
	} else {
		my $pad = ' ' x length $lead;
		for my $i (0 .. $#p) {
			my $end = $i == $#p ? ');' : ',';
			my $pre = $i == 0 ? $lead : $pad;
			$o .= qq{.BI "$pre$p[$i]{type}" $p[$i]{name} "$end"\n};
		}
	}
	$o .= ".fi\n";
	unless ($d) {
		$o .= ".SH DESCRIPTION\n$f->{name}() has no kernel-doc comment in\n";
		$o .= "\\fI$f->{header}\\fP.\n";
		return $o . see_also(\%refs, $f->{name});
	}
	if (@{ $d->{params} }) {
		$o .= ".SH ARGUMENTS\n";
		for my $p (@{ $d->{params} }) {
			$o .= ".TP\n" . join(', ', map { "\\fI$_\\fP" } @{ $p->{names} }) . "\n";
			$o .= fill(inline($p->{text}, \%refs));
		}
	}
	my %body = ('DESCRIPTION' => fill(inline(capital($d->{summary}), \%refs)));
	my @order = ('DESCRIPTION', 'CONTEXT', 'RETURN VALUE', 'EXAMPLES');
	for my $blk (@{ $d->{blocks} }) {
		for my $s (@{ $blk->{secs} }) {
			my $t = '';
			$t .= ".PP\n" if defined $body{$s};
			if ($blk->{kind} eq 'pre') {
				my @ls = @{ $blk->{lines} };
				my ($ind) = sort { $a <=> $b } map { /^(\s*)/; length $1 } @ls;
				$t .= ".EX\n" . join('', map { pre_line(substr($_, $ind)) . "\n" } @ls) . ".EE\n";
			} else {
				my @ls = @{ $blk->{lines} };
				$ls[0] = capital($ls[0]) unless defined $body{$s};
				$t .= fill(inline(join(' ', @ls), \%refs));
			}
			$body{$s} .= $t;
		}
	}
	for my $s (@order) {
		$o .= ".SH $s\n$body{$s}" if defined $body{$s};
	}
	return $o . see_also(\%refs, $f->{name});
}

sub see_also {
	my ($refs, $self) = @_;
	my @r = sort grep { $_ ne $self } keys %$refs;
	my $o = ".SH SEE ALSO\n";
	$o .= ".BR $_ (3),\n" for @r;
	return $o . ".BR uwq (7)\n";
}

# uwq(7): the hand-written overview with its function index generated, so
# that the index cannot miss a function.
sub render_overview {
	my ($in) = @_;
	open(my $fh, '<', $in) or die "kdoc2man.pl: $in: $!\n";
	local $/;
	my $text = <$fh>;
	close $fh;
	my $index = '';
	my $hdr = '';
	for my $f (@funcs) {
		if ($f->{header} ne $hdr) {
			$hdr = $f->{header};
			$index .= ".SS <$hdr>\n";
		}
		my $s = $f->{doc} ? plain(first_sentence($f->{doc}{summary})) : 'undocumented';
		$index .= ".TP\n.BR $f->{name} (3)\n" . fill($s);
	}
	$text =~ s/^\.\\" \@FUNCTION_INDEX\@\n/$index/m
		or die "kdoc2man.pl: $in has no '.\\\" \@FUNCTION_INDEX\@' line\n";
	$text =~ s/\@DATE\@/$date/g;
	$text =~ s/\@VERSION\@/$version/g;
	return $text;
}
