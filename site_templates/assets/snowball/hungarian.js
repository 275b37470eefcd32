// Snowball stemmers, from the npm package snowball-stemmers 0.6.0 (a JavaScript build of
// the Snowball algorithms, https://github.com/mazko/jssnowball); see LICENSE beside this file.
// Cut into one script per language by tools/vendor_snowball.py.
(function (shared) {
    'use strict';
    var _typeof = shared._typeof;
    var _possibleConstructorReturn = shared._possibleConstructorReturn;
    var _inherits = shared._inherits;
    var _classCallCheck = shared._classCallCheck;
    var _createClass = shared._createClass;
    var _get = shared._get;
    var StringBuffer = shared.StringBuffer;
    var StringBuilder = shared.StringBuilder;
    var Among = shared.Among;
    var SnowballProgram = shared.SnowballProgram;
    var SnowballStemmer = shared.SnowballStemmer;

    var hungarianStemmer = function (_SnowballStemmer12) {
        _inherits(hungarianStemmer, _SnowballStemmer12);

        function hungarianStemmer() {
            _classCallCheck(this, hungarianStemmer);

            return _possibleConstructorReturn(this, Object.getPrototypeOf(hungarianStemmer).apply(this, arguments));
        }

        _createClass(hungarianStemmer, [{
            key: 'r_mark_regions$esjava$0',
            value: function r_mark_regions$esjava$0() {
                var v_1 = undefined;
                var v_2 = undefined;
                var v_3 = undefined;
                this.I_p1 = this.limit;

                lab0: do {
                    v_1 = this.cursor;

                    lab1: do {
                        if (!this.in_grouping$esjava$3(hungarianStemmer.g_v, 97, 369)) {
                            break lab1;
                        }

                        golab2: while (true) {
                            v_2 = this.cursor;

                            lab3: do {
                                if (!this.out_grouping$esjava$3(hungarianStemmer.g_v, 97, 369)) {
                                    break lab3;
                                }

                                this.cursor = v_2;
                                break golab2;
                            } while (false);

                            this.cursor = v_2;

                            if (this.cursor >= this.limit) {
                                break lab1;
                            }

                            this.cursor++;
                        }

                        lab4: do {
                            v_3 = this.cursor;

                            lab5: do {
                                if (this.find_among$esjava$1(hungarianStemmer.a_0) === 0) {
                                    break lab5;
                                }

                                break lab4;
                            } while (false);

                            this.cursor = v_3;

                            if (this.cursor >= this.limit) {
                                break lab1;
                            }

                            this.cursor++;
                        } while (false);

                        this.I_p1 = this.cursor;
                        break lab0;
                    } while (false);

                    this.cursor = v_1;

                    if (!this.out_grouping$esjava$3(hungarianStemmer.g_v, 97, 369)) {
                        return false;
                    }

                    golab6: while (true) {
                        lab7: do {
                            if (!this.in_grouping$esjava$3(hungarianStemmer.g_v, 97, 369)) {
                                break lab7;
                            }

                            break golab6;
                        } while (false);

                        if (this.cursor >= this.limit) {
                            return false;
                        }

                        this.cursor++;
                    }

                    this.I_p1 = this.cursor;
                } while (false);

                return true;
            }
        }, {
            key: 'r_R1$esjava$0',
            value: function r_R1$esjava$0() {
                if (!(this.I_p1 <= this.cursor)) {
                    return false;
                }

                return true;
            }
        }, {
            key: 'r_v_ending$esjava$0',
            value: function r_v_ending$esjava$0() {
                var among_var = undefined;
                this.ket = this.cursor;
                among_var = this.find_among_b$esjava$1(hungarianStemmer.a_1);

                if (among_var === 0) {
                    return false;
                }

                this.bra = this.cursor;

                if (!this.r_R1$esjava$0()) {
                    return false;
                }

                switch (among_var) {
                    case 0:
                        return false;

                    case 1:
                        this.slice_from$esjava$1("a");
                        break;

                    case 2:
                        this.slice_from$esjava$1("e");
                        break;
                }

                return true;
            }
        }, {
            key: 'r_double$esjava$0',
            value: function r_double$esjava$0() {
                var v_1 = undefined;
                v_1 = this.limit - this.cursor;

                if (this.find_among_b$esjava$1(hungarianStemmer.a_2) === 0) {
                    return false;
                }

                this.cursor = this.limit - v_1;
                return true;
            }
        }, {
            key: 'r_undouble$esjava$0',
            value: function r_undouble$esjava$0() {
                if (this.cursor <= this.limit_backward) {
                    return false;
                }

                this.cursor--;
                this.ket = this.cursor;
                {
                    var c = this.cursor - 1;

                    if (this.limit_backward > c || c > this.limit) {
                        return false;
                    }

                    this.cursor = c;
                }
                this.bra = this.cursor;
                this.slice_del$esjava$0();
                return true;
            }
        }, {
            key: 'r_instrum$esjava$0',
            value: function r_instrum$esjava$0() {
                var among_var = undefined;
                this.ket = this.cursor;
                among_var = this.find_among_b$esjava$1(hungarianStemmer.a_3);

                if (among_var === 0) {
                    return false;
                }

                this.bra = this.cursor;

                if (!this.r_R1$esjava$0()) {
                    return false;
                }

                switch (among_var) {
                    case 0:
                        return false;

                    case 1:
                        if (!this.r_double$esjava$0()) {
                            return false;
                        }

                        break;

                    case 2:
                        if (!this.r_double$esjava$0()) {
                            return false;
                        }

                        break;
                }

                this.slice_del$esjava$0();

                if (!this.r_undouble$esjava$0()) {
                    return false;
                }

                return true;
            }
        }, {
            key: 'r_case$esjava$0',
            value: function r_case$esjava$0() {
                this.ket = this.cursor;

                if (this.find_among_b$esjava$1(hungarianStemmer.a_4) === 0) {
                    return false;
                }

                this.bra = this.cursor;

                if (!this.r_R1$esjava$0()) {
                    return false;
                }

                this.slice_del$esjava$0();

                if (!this.r_v_ending$esjava$0()) {
                    return false;
                }

                return true;
            }
        }, {
            key: 'r_case_special$esjava$0',
            value: function r_case_special$esjava$0() {
                var among_var = undefined;
                this.ket = this.cursor;
                among_var = this.find_among_b$esjava$1(hungarianStemmer.a_5);

                if (among_var === 0) {
                    return false;
                }

                this.bra = this.cursor;

                if (!this.r_R1$esjava$0()) {
                    return false;
                }

                switch (among_var) {
                    case 0:
                        return false;

                    case 1:
                        this.slice_from$esjava$1("e");
                        break;

                    case 2:
                        this.slice_from$esjava$1("a");
                        break;

                    case 3:
                        this.slice_from$esjava$1("a");
                        break;
                }

                return true;
            }
        }, {
            key: 'r_case_other$esjava$0',
            value: function r_case_other$esjava$0() {
                var among_var = undefined;
                this.ket = this.cursor;
                among_var = this.find_among_b$esjava$1(hungarianStemmer.a_6);

                if (among_var === 0) {
                    return false;
                }

                this.bra = this.cursor;

                if (!this.r_R1$esjava$0()) {
                    return false;
                }

                switch (among_var) {
                    case 0:
                        return false;

                    case 1:
                        this.slice_del$esjava$0();
                        break;

                    case 2:
                        this.slice_del$esjava$0();
                        break;

                    case 3:
                        this.slice_from$esjava$1("a");
                        break;

                    case 4:
                        this.slice_from$esjava$1("e");
                        break;
                }

                return true;
            }
        }, {
            key: 'r_factive$esjava$0',
            value: function r_factive$esjava$0() {
                var among_var = undefined;
                this.ket = this.cursor;
                among_var = this.find_among_b$esjava$1(hungarianStemmer.a_7);

                if (among_var === 0) {
                    return false;
                }

                this.bra = this.cursor;

                if (!this.r_R1$esjava$0()) {
                    return false;
                }

                switch (among_var) {
                    case 0:
                        return false;

                    case 1:
                        if (!this.r_double$esjava$0()) {
                            return false;
                        }

                        break;

                    case 2:
                        if (!this.r_double$esjava$0()) {
                            return false;
                        }

                        break;
                }

                this.slice_del$esjava$0();

                if (!this.r_undouble$esjava$0()) {
                    return false;
                }

                return true;
            }
        }, {
            key: 'r_plural$esjava$0',
            value: function r_plural$esjava$0() {
                var among_var = undefined;
                this.ket = this.cursor;
                among_var = this.find_among_b$esjava$1(hungarianStemmer.a_8);

                if (among_var === 0) {
                    return false;
                }

                this.bra = this.cursor;

                if (!this.r_R1$esjava$0()) {
                    return false;
                }

                switch (among_var) {
                    case 0:
                        return false;

                    case 1:
                        this.slice_from$esjava$1("a");
                        break;

                    case 2:
                        this.slice_from$esjava$1("e");
                        break;

                    case 3:
                        this.slice_del$esjava$0();
                        break;

                    case 4:
                        this.slice_del$esjava$0();
                        break;

                    case 5:
                        this.slice_del$esjava$0();
                        break;

                    case 6:
                        this.slice_del$esjava$0();
                        break;

                    case 7:
                        this.slice_del$esjava$0();
                        break;
                }

                return true;
            }
        }, {
            key: 'r_owned$esjava$0',
            value: function r_owned$esjava$0() {
                var among_var = undefined;
                this.ket = this.cursor;
                among_var = this.find_among_b$esjava$1(hungarianStemmer.a_9);

                if (among_var === 0) {
                    return false;
                }

                this.bra = this.cursor;

                if (!this.r_R1$esjava$0()) {
                    return false;
                }

                switch (among_var) {
                    case 0:
                        return false;

                    case 1:
                        this.slice_del$esjava$0();
                        break;

                    case 2:
                        this.slice_from$esjava$1("e");
                        break;

                    case 3:
                        this.slice_from$esjava$1("a");
                        break;

                    case 4:
                        this.slice_del$esjava$0();
                        break;

                    case 5:
                        this.slice_from$esjava$1("e");
                        break;

                    case 6:
                        this.slice_from$esjava$1("a");
                        break;

                    case 7:
                        this.slice_del$esjava$0();
                        break;

                    case 8:
                        this.slice_from$esjava$1("e");
                        break;

                    case 9:
                        this.slice_del$esjava$0();
                        break;
                }

                return true;
            }
        }, {
            key: 'r_sing_owner$esjava$0',
            value: function r_sing_owner$esjava$0() {
                var among_var = undefined;
                this.ket = this.cursor;
                among_var = this.find_among_b$esjava$1(hungarianStemmer.a_10);

                if (among_var === 0) {
                    return false;
                }

                this.bra = this.cursor;

                if (!this.r_R1$esjava$0()) {
                    return false;
                }

                switch (among_var) {
                    case 0:
                        return false;

                    case 1:
                        this.slice_del$esjava$0();
                        break;

                    case 2:
                        this.slice_from$esjava$1("a");
                        break;

                    case 3:
                        this.slice_from$esjava$1("e");
                        break;

                    case 4:
                        this.slice_del$esjava$0();
                        break;

                    case 5:
                        this.slice_from$esjava$1("a");
                        break;

                    case 6:
                        this.slice_from$esjava$1("e");
                        break;

                    case 7:
                        this.slice_del$esjava$0();
                        break;

                    case 8:
                        this.slice_del$esjava$0();
                        break;

                    case 9:
                        this.slice_del$esjava$0();
                        break;

                    case 10:
                        this.slice_from$esjava$1("a");
                        break;

                    case 11:
                        this.slice_from$esjava$1("e");
                        break;

                    case 12:
                        this.slice_del$esjava$0();
                        break;

                    case 13:
                        this.slice_del$esjava$0();
                        break;

                    case 14:
                        this.slice_from$esjava$1("a");
                        break;

                    case 15:
                        this.slice_from$esjava$1("e");
                        break;

                    case 16:
                        this.slice_del$esjava$0();
                        break;

                    case 17:
                        this.slice_del$esjava$0();
                        break;

                    case 18:
                        this.slice_del$esjava$0();
                        break;

                    case 19:
                        this.slice_from$esjava$1("a");
                        break;

                    case 20:
                        this.slice_from$esjava$1("e");
                        break;
                }

                return true;
            }
        }, {
            key: 'r_plur_owner$esjava$0',
            value: function r_plur_owner$esjava$0() {
                var among_var = undefined;
                this.ket = this.cursor;
                among_var = this.find_among_b$esjava$1(hungarianStemmer.a_11);

                if (among_var === 0) {
                    return false;
                }

                this.bra = this.cursor;

                if (!this.r_R1$esjava$0()) {
                    return false;
                }

                switch (among_var) {
                    case 0:
                        return false;

                    case 1:
                        this.slice_del$esjava$0();
                        break;

                    case 2:
                        this.slice_from$esjava$1("a");
                        break;

                    case 3:
                        this.slice_from$esjava$1("e");
                        break;

                    case 4:
                        this.slice_del$esjava$0();
                        break;

                    case 5:
                        this.slice_del$esjava$0();
                        break;

                    case 6:
                        this.slice_del$esjava$0();
                        break;

                    case 7:
                        this.slice_from$esjava$1("a");
                        break;

                    case 8:
                        this.slice_from$esjava$1("e");
                        break;

                    case 9:
                        this.slice_del$esjava$0();
                        break;

                    case 10:
                        this.slice_del$esjava$0();
                        break;

                    case 11:
                        this.slice_del$esjava$0();
                        break;

                    case 12:
                        this.slice_from$esjava$1("a");
                        break;

                    case 13:
                        this.slice_from$esjava$1("e");
                        break;

                    case 14:
                        this.slice_del$esjava$0();
                        break;

                    case 15:
                        this.slice_del$esjava$0();
                        break;

                    case 16:
                        this.slice_del$esjava$0();
                        break;

                    case 17:
                        this.slice_del$esjava$0();
                        break;

                    case 18:
                        this.slice_from$esjava$1("a");
                        break;

                    case 19:
                        this.slice_from$esjava$1("e");
                        break;

                    case 20:
                        this.slice_del$esjava$0();
                        break;

                    case 21:
                        this.slice_del$esjava$0();
                        break;

                    case 22:
                        this.slice_from$esjava$1("a");
                        break;

                    case 23:
                        this.slice_from$esjava$1("e");
                        break;

                    case 24:
                        this.slice_del$esjava$0();
                        break;

                    case 25:
                        this.slice_del$esjava$0();
                        break;

                    case 26:
                        this.slice_del$esjava$0();
                        break;

                    case 27:
                        this.slice_from$esjava$1("a");
                        break;

                    case 28:
                        this.slice_from$esjava$1("e");
                        break;

                    case 29:
                        this.slice_del$esjava$0();
                        break;
                }

                return true;
            }
        }, {
            key: 'stem$esjava$0',
            value: function stem$esjava$0() {
                var v_1 = undefined;
                var v_2 = undefined;
                var v_3 = undefined;
                var v_4 = undefined;
                var v_5 = undefined;
                var v_6 = undefined;
                var v_7 = undefined;
                var v_8 = undefined;
                var v_9 = undefined;
                var v_10 = undefined;
                v_1 = this.cursor;

                lab0: do {
                    if (!this.r_mark_regions$esjava$0()) {
                        break lab0;
                    }
                } while (false);

                this.cursor = v_1;
                this.limit_backward = this.cursor;
                this.cursor = this.limit;
                v_2 = this.limit - this.cursor;

                lab1: do {
                    if (!this.r_instrum$esjava$0()) {
                        break lab1;
                    }
                } while (false);

                this.cursor = this.limit - v_2;
                v_3 = this.limit - this.cursor;

                lab2: do {
                    if (!this.r_case$esjava$0()) {
                        break lab2;
                    }
                } while (false);

                this.cursor = this.limit - v_3;
                v_4 = this.limit - this.cursor;

                lab3: do {
                    if (!this.r_case_special$esjava$0()) {
                        break lab3;
                    }
                } while (false);

                this.cursor = this.limit - v_4;
                v_5 = this.limit - this.cursor;

                lab4: do {
                    if (!this.r_case_other$esjava$0()) {
                        break lab4;
                    }
                } while (false);

                this.cursor = this.limit - v_5;
                v_6 = this.limit - this.cursor;

                lab5: do {
                    if (!this.r_factive$esjava$0()) {
                        break lab5;
                    }
                } while (false);

                this.cursor = this.limit - v_6;
                v_7 = this.limit - this.cursor;

                lab6: do {
                    if (!this.r_owned$esjava$0()) {
                        break lab6;
                    }
                } while (false);

                this.cursor = this.limit - v_7;
                v_8 = this.limit - this.cursor;

                lab7: do {
                    if (!this.r_sing_owner$esjava$0()) {
                        break lab7;
                    }
                } while (false);

                this.cursor = this.limit - v_8;
                v_9 = this.limit - this.cursor;

                lab8: do {
                    if (!this.r_plur_owner$esjava$0()) {
                        break lab8;
                    }
                } while (false);

                this.cursor = this.limit - v_9;
                v_10 = this.limit - this.cursor;

                lab9: do {
                    if (!this.r_plural$esjava$0()) {
                        break lab9;
                    }
                } while (false);

                this.cursor = this.limit - v_10;
                this.cursor = this.limit_backward;
                return true;
            }
        }, {
            key: 'stem',
            value: function stem() {
                var _get38;

                for (var _len37 = arguments.length, args = Array(_len37), _key37 = 0; _key37 < _len37; _key37++) {
                    args[_key37] = arguments[_key37];
                }

                switch (args.length) {
                    case 0:
                        return this.stem$esjava$0.apply(this, args);
                }

                return (_get38 = _get(Object.getPrototypeOf(hungarianStemmer.prototype), 'stem', this)).call.apply(_get38, [this].concat(args));
            }
        }, {
            key: 'I_p1',
            get: function get() {
                return Object.prototype.hasOwnProperty.call(this, '_$esjava$I_p1') ? this._$esjava$I_p1 : this._$esjava$I_p1 = 0;
            },
            set: function set(v) {
                this._$esjava$I_p1 = v;
            }
        }], [{
            key: 'a_0',
            get: function get() {
                delete hungarianStemmer.a_0;
                return hungarianStemmer.a_0 = [new Among("cs", -1, -1), new Among("dzs", -1, -1), new Among("gy", -1, -1), new Among("ly", -1, -1), new Among("ny", -1, -1), new Among("sz", -1, -1), new Among("ty", -1, -1), new Among("zs", -1, -1)];
            }
        }, {
            key: 'a_1',
            get: function get() {
                delete hungarianStemmer.a_1;
                return hungarianStemmer.a_1 = [new Among('\u00E1', -1, 1), new Among('\u00E9', -1, 2)];
            }
        }, {
            key: 'a_2',
            get: function get() {
                delete hungarianStemmer.a_2;
                return hungarianStemmer.a_2 = [new Among("bb", -1, -1), new Among("cc", -1, -1), new Among("dd", -1, -1), new Among("ff", -1, -1), new Among("gg", -1, -1), new Among("jj", -1, -1), new Among("kk", -1, -1), new Among("ll", -1, -1), new Among("mm", -1, -1), new Among("nn", -1, -1), new Among("pp", -1, -1), new Among("rr", -1, -1), new Among("ccs", -1, -1), new Among("ss", -1, -1), new Among("zzs", -1, -1), new Among("tt", -1, -1), new Among("vv", -1, -1), new Among("ggy", -1, -1), new Among("lly", -1, -1), new Among("nny", -1, -1), new Among("tty", -1, -1), new Among("ssz", -1, -1), new Among("zz", -1, -1)];
            }
        }, {
            key: 'a_3',
            get: function get() {
                delete hungarianStemmer.a_3;
                return hungarianStemmer.a_3 = [new Among("al", -1, 1), new Among("el", -1, 2)];
            }
        }, {
            key: 'a_4',
            get: function get() {
                delete hungarianStemmer.a_4;
                return hungarianStemmer.a_4 = [new Among("ba", -1, -1), new Among("ra", -1, -1), new Among("be", -1, -1), new Among("re", -1, -1), new Among("ig", -1, -1), new Among("nak", -1, -1), new Among("nek", -1, -1), new Among("val", -1, -1), new Among("vel", -1, -1), new Among("ul", -1, -1), new Among('n\u00E1l', -1, -1), new Among('n\u00E9l', -1, -1), new Among('b\u00F3l', -1, -1), new Among('r\u00F3l', -1, -1), new Among('t\u00F3l', -1, -1), new Among('\u00FCl', -1, -1), new Among('b\u0151l', -1, -1), new Among('r\u0151l', -1, -1), new Among('t\u0151l', -1, -1), new Among("n", -1, -1), new Among("an", 19, -1), new Among("ban", 20, -1), new Among("en", 19, -1), new Among("ben", 22, -1), new Among('k\u00E9ppen', 22, -1), new Among("on", 19, -1), new Among('\u00F6n', 19, -1), new Among('k\u00E9pp', -1, -1), new Among("kor", -1, -1), new Among("t", -1, -1), new Among("at", 29, -1), new Among("et", 29, -1), new Among('k\u00E9nt', 29, -1), new Among('ank\u00E9nt', 32, -1), new Among('enk\u00E9nt', 32, -1), new Among('onk\u00E9nt', 32, -1), new Among("ot", 29, -1), new Among('\u00E9rt', 29, -1), new Among('\u00F6t', 29, -1), new Among("hez", -1, -1), new Among("hoz", -1, -1), new Among('h\u00F6z', -1, -1), new Among('v\u00E1', -1, -1), new Among('v\u00E9', -1, -1)];
            }
        }, {
            key: 'a_5',
            get: function get() {
                delete hungarianStemmer.a_5;
                return hungarianStemmer.a_5 = [new Among('\u00E1n', -1, 2), new Among('\u00E9n', -1, 1), new Among('\u00E1nk\u00E9nt', -1, 3)];
            }
        }, {
            key: 'a_6',
            get: function get() {
                delete hungarianStemmer.a_6;
                return hungarianStemmer.a_6 = [new Among("stul", -1, 2), new Among("astul", 0, 1), new Among('\u00E1stul', 0, 3), new Among('st\u00FCl', -1, 2), new Among('est\u00FCl', 3, 1), new Among('\u00E9st\u00FCl', 3, 4)];
            }
        }, {
            key: 'a_7',
            get: function get() {
                delete hungarianStemmer.a_7;
                return hungarianStemmer.a_7 = [new Among('\u00E1', -1, 1), new Among('\u00E9', -1, 2)];
            }
        }, {
            key: 'a_8',
            get: function get() {
                delete hungarianStemmer.a_8;
                return hungarianStemmer.a_8 = [new Among("k", -1, 7), new Among("ak", 0, 4), new Among("ek", 0, 6), new Among("ok", 0, 5), new Among('\u00E1k', 0, 1), new Among('\u00E9k', 0, 2), new Among('\u00F6k', 0, 3)];
            }
        }, {
            key: 'a_9',
            get: function get() {
                delete hungarianStemmer.a_9;
                return hungarianStemmer.a_9 = [new Among('\u00E9i', -1, 7), new Among('\u00E1\u00E9i', 0, 6), new Among('\u00E9\u00E9i', 0, 5), new Among('\u00E9', -1, 9), new Among('k\u00E9', 3, 4), new Among('ak\u00E9', 4, 1), new Among('ek\u00E9', 4, 1), new Among('ok\u00E9', 4, 1), new Among('\u00E1k\u00E9', 4, 3), new Among('\u00E9k\u00E9', 4, 2), new Among('\u00F6k\u00E9', 4, 1), new Among('\u00E9\u00E9', 3, 8)];
            }
        }, {
            key: 'a_10',
            get: function get() {
                delete hungarianStemmer.a_10;
                return hungarianStemmer.a_10 = [new Among("a", -1, 18), new Among("ja", 0, 17), new Among("d", -1, 16), new Among("ad", 2, 13), new Among("ed", 2, 13), new Among("od", 2, 13), new Among('\u00E1d', 2, 14), new Among('\u00E9d', 2, 15), new Among('\u00F6d', 2, 13), new Among("e", -1, 18), new Among("je", 9, 17), new Among("nk", -1, 4), new Among("unk", 11, 1), new Among('\u00E1nk', 11, 2), new Among('\u00E9nk', 11, 3), new Among('\u00FCnk', 11, 1), new Among("uk", -1, 8), new Among("juk", 16, 7), new Among('\u00E1juk', 17, 5), new Among('\u00FCk', -1, 8), new Among('j\u00FCk', 19, 7), new Among('\u00E9j\u00FCk', 20, 6), new Among("m", -1, 12), new Among("am", 22, 9), new Among("em", 22, 9), new Among("om", 22, 9), new Among('\u00E1m', 22, 10), new Among('\u00E9m', 22, 11), new Among("o", -1, 18), new Among('\u00E1', -1, 19), new Among('\u00E9', -1, 20)];
            }
        }, {
            key: 'a_11',
            get: function get() {
                delete hungarianStemmer.a_11;
                return hungarianStemmer.a_11 = [new Among("id", -1, 10), new Among("aid", 0, 9), new Among("jaid", 1, 6), new Among("eid", 0, 9), new Among("jeid", 3, 6), new Among('\u00E1id', 0, 7), new Among('\u00E9id', 0, 8), new Among("i", -1, 15), new Among("ai", 7, 14), new Among("jai", 8, 11), new Among("ei", 7, 14), new Among("jei", 10, 11), new Among('\u00E1i', 7, 12), new Among('\u00E9i', 7, 13), new Among("itek", -1, 24), new Among("eitek", 14, 21), new Among("jeitek", 15, 20), new Among('\u00E9itek', 14, 23), new Among("ik", -1, 29), new Among("aik", 18, 26), new Among("jaik", 19, 25), new Among("eik", 18, 26), new Among("jeik", 21, 25), new Among('\u00E1ik', 18, 27), new Among('\u00E9ik', 18, 28), new Among("ink", -1, 20), new Among("aink", 25, 17), new Among("jaink", 26, 16), new Among("eink", 25, 17), new Among("jeink", 28, 16), new Among('\u00E1ink', 25, 18), new Among('\u00E9ink', 25, 19), new Among("aitok", -1, 21), new Among("jaitok", 32, 20), new Among('\u00E1itok', -1, 22), new Among("im", -1, 5), new Among("aim", 35, 4), new Among("jaim", 36, 1), new Among("eim", 35, 4), new Among("jeim", 38, 1), new Among('\u00E1im', 35, 2), new Among('\u00E9im', 35, 3)];
            }
        }, {
            key: 'g_v',
            get: function get() {
                delete hungarianStemmer.g_v;
                return hungarianStemmer.g_v = [17, 65, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 17, 36, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1];
            }
        }]);

        return hungarianStemmer;
    }(SnowballStemmer);

    shared.algorithms.hungarian = hungarianStemmer;
})(this.__snowball);
